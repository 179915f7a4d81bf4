import { Composer } from "grammy";
import type { BotContext, CommandInfo } from "../src/bot/context.ts";
import { onAction } from "../src/bot/on-action.ts";
import {
  type AgentProxyFacts,
  type AgentsMessage,
  agentRef,
  renderAgentDetails,
  renderAgentsPage,
} from "../src/bot/views/agents-message.ts";
import { callbackData } from "../src/callback-data.ts";
import type { HeartbeatService } from "../src/heartbeats/heartbeat-service.ts";
import type { ProxyModule } from "../src/proxy/proxy-module.ts";
import { startOfLocalDay, summarize } from "../src/proxy/stats.ts";
import type { Clock } from "../src/types.ts";

/** `/agents`: heartbeating agents by class, with state, task, round and last beat. */
export const agentsCommand: CommandInfo = {
  command: "agents",
  description: "Agents by class: state, task, round, last beat",
};

/** Dependencies of {@link createAgentsFeature}. */
export interface AgentsFeatureDeps {
  heartbeats: Pick<HeartbeatService, "list" | "recentBeats">;
  /** The same agents as proxy callers: their agent keys and usage (details only). */
  proxy?: Pick<ProxyModule, "agentKeys" | "usageSince">;
  clock: Clock;
  timeZone: string;
}

/** An agent's keys and today's proxy usage, by its name (the one meaning of "agent"). */
async function proxyFacts(
  proxy: NonNullable<AgentsFeatureDeps["proxy"]>,
  name: string,
  now: Date,
  timeZone: string,
): Promise<AgentProxyFacts> {
  const keys = (await proxy.agentKeys.list()).filter((k) => k.name === name && !k.revoked_at);
  const usage = summarize(
    (await proxy.usageSince(startOfLocalDay(now, timeZone))).filter((r) => r.agent === name),
  );
  return {
    keyPrefixes: keys.map((k) => k.key_prefix),
    requests: usage.requests,
    tokens: usage.prompt_tokens + usage.completion_tokens,
  };
}

const options = (m: AgentsMessage) => ({
  parse_mode: "HTML" as const,
  reply_markup: { inline_keyboard: m.keyboard },
});

/**
 * Composer for /agents. The list is read from the watchdog's memory; ◀ ▶
 * (`agp:<page>`) and Details (`agd:<page>:<ref>`, ref = agentRef(name)) edit the same
 * message in place, and Details' Back button returns to the page it came from.
 */
export function createAgentsFeature(deps: AgentsFeatureDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const edit = (ctx: BotContext, m: AgentsMessage) =>
    ctx.editMessageText(m.text, options(m)).catch((err: unknown) => {
      if (!String(err).includes("message is not modified")) throw err;
    });

  composer.command("agents", async (ctx) => {
    const m = renderAgentsPage(deps.heartbeats.list(), 0);
    await ctx.reply(m.text, options(m));
  });

  // Opened from the /status home screen: the first page, in the pressed message.
  composer.callbackQuery(callbackData.home.agents, async (ctx) => {
    await ctx.answerCallbackQuery();
    await edit(ctx, renderAgentsPage(deps.heartbeats.list(), 0));
  });

  onAction(composer, callbackData.agents.page, async (ctx, page) => {
    await ctx.answerCallbackQuery();
    await edit(ctx, renderAgentsPage(deps.heartbeats.list(), page));
  });

  onAction(composer, callbackData.agents.details, async (ctx, page, ref) => {
    const view = deps.heartbeats.list().find((a) => agentRef(a.name) === ref);
    if (!view) {
      await ctx.answerCallbackQuery({ text: "That agent is no longer known.", show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    const beats = await deps.heartbeats.recentBeats(view.name, 8);
    const proxy = deps.proxy
      ? await proxyFacts(deps.proxy, view.name, deps.clock.now(), deps.timeZone)
      : undefined;
    await edit(ctx, renderAgentDetails(view, beats, page, deps.timeZone, proxy));
  });
  return composer;
}

import { Composer } from "grammy";
import type { BotContext, CommandInfo } from "../src/bot/context.ts";
import { renderUsage } from "../src/bot/views/backend-message.ts";
import type { ProxyModule } from "../src/proxy/proxy-module.ts";
import { dimensionKey, groupUsage, startOfLocalDay, summarize } from "../src/proxy/stats.ts";
import { formatTime } from "../src/telegram-format.ts";
import type { Clock } from "../src/types.ts";

/** `/usage`: today's proxy usage. */
export const usageCommand: CommandInfo = {
  command: "usage",
  description: "Today's requests, tokens and cost",
};

/** Composer for /usage: today's requests, tokens and cost by backend and by agent. */
export function createUsageFeature(deps: {
  proxy: ProxyModule;
  clock: Clock;
  timeZone: string;
}): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("usage", async (ctx) => {
    const now = deps.clock.now();
    const rows = await deps.proxy.usageSince(startOfLocalDay(now, deps.timeZone));
    const text = renderUsage(
      summarize(rows),
      groupUsage(rows, dimensionKey("backend")),
      groupUsage(rows, dimensionKey("agent")),
      `${formatTime(now, deps.timeZone).slice(0, 10)}, ${deps.timeZone}`,
    );
    await ctx.reply(text, { parse_mode: "HTML" });
  });
  return composer;
}

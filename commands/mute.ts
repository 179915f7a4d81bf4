import { Composer } from "grammy";
import { MUTE_FLOW_ID } from "../flows/mute.ts";
import { actorName, type BotContext, type CommandInfo } from "../src/bot/context.ts";
import { InputError } from "../src/errors.ts";
import type { MuteService } from "../src/mutes/mute-service.ts";
import { parseMuteLine } from "../src/mutes/mute-spec.ts";
import { escapeHtml, formatTime } from "../src/telegram-format.ts";

/** `/mute`: mute events by label matchers. */
export const muteCommand: CommandInfo = {
  command: "mute",
  description: 'Mute alerts: /mute alertname=X instance=~"a.*" 2h reason (or step by step)',
};

const USAGE = [
  "Usage: <code>/mute matcher… duration [reason]</code>, e.g.",
  '<code>/mute alertname=HighErrorRate instance=~"momo.*" 2h deploy</code>',
  "or plain /mute to be asked step by step.",
].join("\n");

/**
 * Composer for /mute: with arguments it creates the mute at once (one-line form); without,
 * it starts the {@link MUTE_FLOW_ID} conversation. Also answers a stray /cancel.
 */
export function createMuteFeature(deps: {
  mutes: MuteService;
  timeZone: string;
}): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("mute", async (ctx) => {
    const args = ctx.match.trim();
    if (!args) {
      await ctx.conversation.enter(MUTE_FLOW_ID);
      return;
    }
    let spec: ReturnType<typeof parseMuteLine>;
    try {
      spec = parseMuteLine(args);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      await ctx.reply(`${escapeHtml(err.message)}\n\n${USAGE}`, { parse_mode: "HTML" });
      return;
    }
    const who = actorName(ctx);
    const mute = await deps.mutes.create({ ...spec, createdBy: who });
    ctx.log.info({ mute: mute.id, who }, "mute created");
    await ctx.reply(
      `🔕 Muted until ${formatTime(mute.endsAt, deps.timeZone)} (${escapeHtml(deps.timeZone)}). /mutes lists active mutes.`,
      { parse_mode: "HTML" },
    );
  });
  composer.command("cancel", (ctx) => ctx.reply("Nothing to cancel."));
  return composer;
}

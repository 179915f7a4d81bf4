import { Composer } from "grammy";
import { MUTE_FLOW_ID } from "../flows/mute.ts";
import { actorName, type BotContext, type CommandInfo } from "../src/bot/context.ts";
import { renderMuteCreated } from "../src/bot/views/mute-message.ts";
import { InputError } from "../src/errors.ts";
import type { MuteService } from "../src/mutes/mute-service.ts";
import { parseMuteLine } from "../src/mutes/mute-spec.ts";
import { escapeHtml } from "../src/telegram-format.ts";

/** `/mute`: mute events by label matchers. */
export const muteCommand: CommandInfo = {
  command: "mute",
  description: 'Mute alerts: /mute alertname=X instance=~"a.*" 2h reason (or step by step)',
};

const USAGE = [
  "Usage: <code>/mute matcher… duration [reason]</code>, e.g.",
  '<code>/mute alertname=HighErrorRate instance=~"momo.*" 2h deploy</code>',
  '<code>/mute {alertname="X", env=~"prod.*"} 2h</code> or <code>/mute TargetDown 2h</code>,',
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
    ctx.log.info({ mute: mute.id, who, silence: mute.silence.state }, "mute created");
    const firing = await deps.mutes.firingMatches(spec.matchers);
    const { text, keyboard } = renderMuteCreated(mute, firing, deps.timeZone);
    await ctx.reply(text, { parse_mode: "HTML", reply_markup: { inline_keyboard: keyboard } });
  });
  composer.command("cancel", (ctx) => ctx.reply("Nothing to cancel."));
  return composer;
}

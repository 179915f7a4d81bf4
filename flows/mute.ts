import { type Conversation, createConversation } from "@grammyjs/conversations";
import { Composer, type Context } from "grammy";
import { askText } from "../src/bot/ask.ts";
import { actorName, type BotContext } from "../src/bot/context.ts";
import { renderMuteCreated } from "../src/bot/views/mute-message.ts";
import { InputError } from "../src/errors.ts";
import type { MuteService } from "../src/mutes/mute-service.ts";
import { checkDuration, parseDuration, parseMatcherLine } from "../src/mutes/mute-spec.ts";

/** Conversation id of the /mute flow (`ctx.conversation.enter(MUTE_FLOW_ID)`). */
export const MUTE_FLOW_ID = "mute";

type MuteConversation = Conversation<BotContext, Context>;

const ask = <T>(conversation: MuteConversation, parse: (text: string) => T) =>
  askText(conversation, parse, {
    cancelled: "Cancelled; nothing was muted.",
    interrupted: "Mute cancelled.",
  });

function parseDurationAnswer(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new InputError("not a duration; write e.g. 30m, 2h or 1d");
  return checkDuration(ms);
}

/**
 * The /mute conversation: matchers, duration, reason, then the mute is
 * created. Conversations v2 replay this function on every update, so the only side effect
 * besides replies, creating the mute, runs inside `conversation.external()` and returns
 * plain JSON. `/cancel` at any step stops it.
 */
export function createMuteFlow(deps: { mutes: MuteService; timeZone: string }) {
  return async function muteFlow(conversation: MuteConversation, ctx: Context): Promise<void> {
    await ctx.reply(
      [
        "<b>New mute</b> — which events? Send label matchers, e.g.",
        '<code>alertname=HighErrorRate instance=~"momo.*"</code>',
        'or <code>{alertname="X", env=~"prod.*"}</code>, or just an alert name.',
        "(operators = != =~ !~; regexes are anchored). /cancel to stop.",
      ].join("\n"),
      { parse_mode: "HTML" },
    );
    const matchers = await ask(conversation, parseMatcherLine);
    if (!matchers) return;
    await ctx.reply("For how long? e.g. 30m, 2h, 1d (at most 30d).");
    const durationMs = await ask(conversation, parseDurationAnswer);
    if (durationMs === undefined) return;
    await ctx.reply("Why? One line, or - for no reason.");
    const reason = await ask(conversation, (t) => (t === "-" ? "" : t));
    if (reason === undefined) return;
    const who = actorName(ctx);
    const reply = await conversation.external(async () => {
      const row = await deps.mutes.create({ matchers, durationMs, createdBy: who, reason });
      const firing = await deps.mutes.firingMatches(matchers);
      return renderMuteCreated(row, firing, deps.timeZone);
    });
    await ctx.reply(reply.text, {
      parse_mode: "HTML",
      reply_markup: { inline_keyboard: reply.keyboard },
    });
  };
}

/** Registers the /mute conversation; install after `conversations()` (see create-bot). */
export function createMuteFlowFeature(deps: {
  mutes: MuteService;
  timeZone: string;
}): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.use(createConversation(createMuteFlow(deps), MUTE_FLOW_ID));
  return composer;
}

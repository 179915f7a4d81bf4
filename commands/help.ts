import { Composer } from "grammy";
import type { BotContext, CommandInfo } from "../src/bot/context.ts";
import { escapeHtml } from "../src/telegram-format.ts";

/** `/help`: lists the commands. */
export const helpCommand: CommandInfo = {
  command: "help",
  description: "Commands, /cancel and what each button does",
};

/** What each kind of button does, grouped by the message that carries it. */
const BUTTONS = [
  "<b>Buttons</b>",
  "<i>Alert messages</i>: <b>Acknowledge</b> (you are on it; stops escalation), <b>Resolve</b> (close it by hand), <b>Mute 1 h / 24 h</b> (silence alerts with the same labels), <b>Unmute</b>, <b>🧠 Triage</b> (likely cause and next step), <b>Propose fix</b> (a heal plan from the matching template).",
  "<i>/incidents</i>: <b>✋ #17</b> acknowledge, <b>✅ #17</b> resolve, <b>🔕 1 h / 24 h</b> mute, <b>◀ ▶</b> pages.",
  "<i>Heal plans</i>: <b>✅ Approve</b> runs it (shown only when the guardrails allow it; <b>⚠️ Approve…</b> on a high-risk plan asks for <b>Yes, run it</b>), <b>✋ Reject</b> asks for a reason, <b>ℹ️ Details</b> shows the audit in place, <b>« Back</b> returns.",
  "<i>/status</i>: <b>Incidents</b>, <b>Plans</b>, <b>Agents</b>, <b>Backends</b> open those views in the same message; <b>↻ Refresh</b> redraws it; <b>🏠 Status</b> comes back.",
  "<i>/backends</i>: tap a backend for <b>Disable/Enable</b>, <b>Move</b> to the other pool, <b>Clear cooldown</b>, <b>Delete…</b> (asks to confirm).",
  "<i>/agents</i>: <b>🔎 name</b> shows an agent's last beats; <b>◀ ▶</b> pages.",
  "<i>Questions</i> (/addbackend, /mute, Reject): press a button or type the answer.",
];

/** Composer for /help over the full command list. */
export function createHelpFeature(commands: readonly CommandInfo[]): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const text = [
    "<b>Commands</b>",
    ...commands.map((c) => `/${c.command} — ${escapeHtml(c.description)}`),
    "/cancel — stop the question in progress (/addbackend, /mute, a rejection reason); nothing is saved",
    "",
    ...BUTTONS,
  ].join("\n");
  composer.command("help", (ctx) => ctx.reply(text, { parse_mode: "HTML" }));
  return composer;
}

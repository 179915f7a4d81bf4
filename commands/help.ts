import { Composer } from "grammy";
import type { BotContext, CommandInfo } from "../src/bot/context.ts";
import { escapeHtml } from "../src/telegram-format.ts";

/** `/help`: lists the commands. */
export const helpCommand: CommandInfo = { command: "help", description: "List the commands" };

/** Composer for /help over the full command list. */
export function createHelpFeature(commands: readonly CommandInfo[]): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const text = [
    "<b>Commands</b>",
    ...commands.map((c) => `/${c.command} — ${escapeHtml(c.description)}`),
    "",
    "Alert messages carry buttons: <b>Acknowledge</b>, <b>Resolve</b>, <b>Mute 1 h</b>, <b>Mute 24 h</b>.",
  ].join("\n");
  composer.command("help", (ctx) => ctx.reply(text, { parse_mode: "HTML" }));
  return composer;
}

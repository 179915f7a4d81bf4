import { Composer } from "grammy";
import type { BotContext, CommandInfo } from "../src/bot/context.ts";

/** `/start`: greets the commander. */
export const startCommand: CommandInfo = { command: "start", description: "Introduction" };

/** Composer for /start. */
export function createStartFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("start", (ctx) =>
    ctx.reply(
      "<b>commandpost</b> is your operations console: alerts, incidents, LLM backends and heal plans.\n\nSend /help for the commands.",
      { parse_mode: "HTML" },
    ),
  );
  return composer;
}

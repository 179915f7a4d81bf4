import { Composer } from "grammy";
import type { BotContext, CommandInfo } from "../src/bot/context.ts";
import { renderStatus } from "../src/bot/views/status-message.ts";
import { callbackData } from "../src/callback-data.ts";
import type { StatusService } from "../src/status/status-service.ts";

/** `/status`: the home screen. */
export const statusCommand: CommandInfo = {
  command: "status",
  description: "Home: what needs you, then incidents, deliveries, backends, uptime",
};

/**
 * Composer for /status, the home screen: what needs a person first, then the overview, with
 * buttons that open Incidents, Plans, Agents and Backends in the same message (each view's
 * feature answers its `home:` data) and ↻ Refresh (`home:status`, also the 🏠 Status button
 * of those views), which redraws this screen in the pressed message.
 */
export function createStatusFeature(deps: {
  status: StatusService;
  timeZone: string;
}): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const view = async () => {
    const m = renderStatus(await deps.status.snapshot(), deps.timeZone);
    return {
      text: m.text,
      options: { parse_mode: "HTML" as const, reply_markup: { inline_keyboard: m.keyboard } },
    };
  };
  composer.command("status", async (ctx) => {
    const v = await view();
    await ctx.reply(v.text, v.options);
  });
  composer.callbackQuery(callbackData.home.status, async (ctx) => {
    const v = await view();
    await ctx.answerCallbackQuery({ text: "Updated." });
    await ctx.editMessageText(v.text, v.options).catch((err: unknown) => {
      if (!String(err).includes("message is not modified")) throw err;
    });
  });
  return composer;
}

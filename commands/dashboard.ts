import { Composer } from "grammy";
import type { BotContext, CommandInfo } from "../src/bot/context.ts";
import { renderDashboardEntry } from "../src/bot/dashboard-message.ts";
import type { DashboardEntry } from "../src/dashboard/dashboard-module.ts";

/** `/dashboard`: open the Mini App with charts, or a browser with a one-time link. */
export const dashboardCommand: CommandInfo = {
  command: "dashboard",
  description: "Charts: proxy usage and cost, incidents, agents",
};

/**
 * Composer for /dashboard. Only in a private chat: a `web_app` button works only there, and
 * the login link is personal (whoever opens it first is signed in as the admin who asked).
 */
export function createDashboardFeature(deps: {
  dashboard: { entry(userId: number): Promise<DashboardEntry> };
  timeZone: string;
}): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("dashboard", async (ctx) => {
    if (ctx.chat.type !== "private" || !ctx.from) {
      await ctx.reply(
        "Send /dashboard to me in a private chat: its button and login link are personal.",
      );
      return;
    }
    const m = renderDashboardEntry(await deps.dashboard.entry(ctx.from.id), deps.timeZone);
    await ctx.reply(m.text, {
      parse_mode: "HTML",
      reply_markup: { inline_keyboard: m.keyboard },
      link_preview_options: { is_disabled: true },
    });
  });
  return composer;
}

import { Composer } from "grammy";
import type { BotContext, CommandInfo } from "../src/bot/context.ts";
import { parseLabelSet, renderRouteDecision, renderRoutes } from "../src/bot/views/routes-view.ts";
import { InputError } from "../src/errors.ts";
import type { NotificationRouter } from "../src/notifications/notification-router.ts";
import { escapeHtml } from "../src/telegram-format.ts";

/** `/routes`: the notification routes, or where a pasted label set would go. */
export const routesCommand: CommandInfo = {
  command: "routes",
  description: "Notification routes; /routes severity=critical alertname=X shows where it goes",
};

/** Composer for /routes. */
export function createRoutesFeature(deps: {
  notifyRouter: NotificationRouter;
}): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("routes", async (ctx) => {
    const args = ctx.match.trim();
    if (!args) {
      await ctx.reply(renderRoutes(deps.notifyRouter), { parse_mode: "HTML" });
      return;
    }
    try {
      const { kind, labels } = parseLabelSet(args);
      const decision = deps.notifyRouter.route(kind, labels);
      await ctx.reply(renderRouteDecision(kind, labels, decision), { parse_mode: "HTML" });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      await ctx.reply(
        `${escapeHtml(err.message)}\nUsage: <code>/routes severity=critical alertname=X</code>`,
        { parse_mode: "HTML" },
      );
    }
  });
  return composer;
}

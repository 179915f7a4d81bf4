import { Composer } from "grammy";
import { actorName, type BotContext } from "../src/bot/context.ts";
import type { EventRouter } from "../src/events/event-router.ts";

/**
 * The Acknowledge button on alert messages (`ack:<alertId>`). Answers the press at once,
 * records who and when, and lets the outbox edit every copy of the message.
 */
export function createAcknowledgeFeature(deps: { router: EventRouter }): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.callbackQuery(/^ack:([A-Z0-9]{26})$/, async (ctx) => {
    const alertId = ctx.match[1] as string;
    const who = actorName(ctx);
    const result = await deps.router.acknowledge(alertId, who);
    if (!result) {
      await ctx.answerCallbackQuery({ text: "That alert no longer exists.", show_alert: true });
      return;
    }
    const text = result.changed
      ? "Acknowledged."
      : `Already acknowledged by ${result.alert.acknowledgedBy}.`;
    await ctx.answerCallbackQuery({ text });
    ctx.log.info({ alert: alertId, who, changed: result.changed }, "alert acknowledged");
  });
  return composer;
}

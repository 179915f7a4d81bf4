import { Composer } from "grammy";
import { actorName, type BotContext } from "../src/bot/context.ts";
import { onAction } from "../src/bot/on-action.ts";
import { callbackData } from "../src/callback-data.ts";
import type { TriageService } from "../src/triage/triage-service.ts";

/**
 * "🧠 Triage" on alert messages (`tri:<alertId>`): an admin's press starts a triage of the
 * alert (the model through the proxy, or the rules) and is answered at once; the alert's
 * messages are edited through the outbox when the triage is done. The allowlist is checked
 * before this runs (adminOnly); the state is read from the database, never from the message.
 */
export function createTriageButtonsFeature(deps: { triage: TriageService }): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  onAction(composer, callbackData.triage, async (ctx, alertId) => {
    const who = actorName(ctx);
    const result = await deps.triage.request(alertId, who);
    await ctx.answerCallbackQuery({ text: result.message, show_alert: !result.started });
    ctx.log.info({ alert: alertId, who, started: result.started }, "triage pressed");
  });
  return composer;
}

import { Composer } from "grammy";
import { actorName, type BotContext } from "../src/bot/context.ts";
import { callbackData } from "../src/callback-data.ts";
import type { ActionResult, IncidentActions } from "../src/incidents/incident-actions.ts";

/** Mute durations offered on buttons, in hours. */
export const MUTE_BUTTON_HOURS = { m1h: 1, m24h: 24 } as const;

/**
 * Runs the action a button names on alert `alertId`: `ack`, `res`, `m1h` or `m24h`
 * (callback data from src/callback-data.ts). Shared by alert messages and /incidents.
 */
export function runAlertAction(
  actions: IncidentActions,
  action: string,
  alertId: string,
  who: string,
): Promise<ActionResult> {
  switch (action) {
    case "ack":
      return actions.acknowledge(alertId, who);
    case "res":
      return actions.resolve(alertId, who);
    default: {
      const hours = MUTE_BUTTON_HOURS[action as keyof typeof MUTE_BUTTON_HOURS] ?? 1;
      return actions.mute(alertId, hours * 3_600_000, who);
    }
  }
}

/**
 * The buttons on alert messages (docs/architecture.md, the path of an alert): Acknowledge (`ack:<alertId>`),
 * Resolve (`res:`), Mute 1 h (`m1h:`), Mute 24 h (`m24h:`). The allowlist is checked before
 * this runs (adminOnly); each press is answered with what happened, and the message itself
 * is edited through the outbox, in every chat that received it.
 */
export function createIncidentButtonsFeature(deps: {
  actions: IncidentActions;
}): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  for (const action of [
    callbackData.ack,
    callbackData.resolve,
    callbackData.mute1h,
    callbackData.mute24h,
  ]) {
    composer.callbackQuery(action.pattern, async (ctx) => {
      const alertId = action.parse(ctx.callbackQuery.data);
      if (!alertId) return;
      const who = actorName(ctx);
      const result = await runAlertAction(deps.actions, action.prefix, alertId, who);
      await ctx.answerCallbackQuery({ text: result.message, show_alert: !result.changed });
      ctx.log.info(
        { alert: alertId, action: action.prefix, who, changed: result.changed },
        "alert button",
      );
    });
  }
  return composer;
}

import { Composer } from "grammy";
import { actorName, type BotContext } from "../src/bot/context.ts";
import { onAction } from "../src/bot/on-action.ts";
import { callbackData } from "../src/callback-data.ts";
import type { ActionResult, IncidentActions } from "../src/incidents/incident-actions.ts";

/** What an alert or incident button does: acknowledge, resolve, mute 1 h or 24 h. */
export type AlertAction = "ack" | "res" | "m1h" | "m24h";

/** Mute durations offered on buttons, in hours. */
export const MUTE_BUTTON_HOURS = { m1h: 1, m24h: 24 } as const;

/**
 * Runs `action` on alert `alertId`. Shared by alert messages and /incidents.
 */
export function runAlertAction(
  actions: IncidentActions,
  action: AlertAction,
  alertId: string,
  who: string,
): Promise<ActionResult> {
  switch (action) {
    case "ack":
      return actions.acknowledge(alertId, who);
    case "res":
      return actions.resolve(alertId, who);
    default:
      return actions.mute(alertId, MUTE_BUTTON_HOURS[action] * 3_600_000, who);
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
  const buttons = [
    [callbackData.ack, "ack"],
    [callbackData.resolve, "res"],
    [callbackData.mute1h, "m1h"],
    [callbackData.mute24h, "m24h"],
  ] as const;
  for (const [button, action] of buttons) {
    onAction(composer, button, async (ctx, alertId) => {
      const who = actorName(ctx);
      const result = await runAlertAction(deps.actions, action, alertId, who);
      await ctx.answerCallbackQuery({ text: result.message, show_alert: !result.changed });
      ctx.log.info({ alert: alertId, action, who, changed: result.changed }, "alert button");
    });
  }
  return composer;
}

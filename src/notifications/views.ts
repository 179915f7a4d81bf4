import type { RenderedMessage } from "../events/alert-message.ts";
import { renderPlanMessage } from "../heal/plan-message.ts";
import { renderReport } from "../reports/report-message.ts";
import { renderSmokeSummary } from "../smoke/smoke-message.ts";
import type { Notification } from "./notification.ts";

/**
 * Renders a notification for Telegram (HTML text ≤ 4,096 characters after parsing, and its
 * buttons): one view per kind. Pure: the same notification gives the same message.
 */
export function renderNotification(n: Notification): RenderedMessage {
  switch (n.kind) {
    case "digest":
      return { text: renderReport(n.report), keyboard: null };
    case "smoke_summary":
      return {
        text: renderSmokeSummary(n.distribution, n.window, n.latest, n.timeZone),
        keyboard: null,
      };
    case "heal_plan":
      return renderPlanMessage(n.plan, n.view, n.progress);
  }
}

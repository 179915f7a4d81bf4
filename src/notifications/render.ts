import type { Notification, RenderedMessage } from "./notification.ts";
import { renderSessionMessage } from "./views/aider-session.ts";
import { renderAlert } from "./views/alert.ts";
import { renderGroup } from "./views/alert-group.ts";
import { renderReport } from "./views/digest.ts";
import { renderPlanMessage } from "./views/heal-plan.ts";
import { renderSmokeSummary } from "./views/smoke-summary.ts";

/**
 * Renders a notification for Telegram (HTML text ≤ 4,096 characters after parsing, and its
 * buttons, callback data ≤ 64 bytes): one view per kind, each in ./views/. Pure: the same
 * notification gives the same message.
 */
export function renderNotification(n: Notification): RenderedMessage {
  switch (n.kind) {
    case "alert":
      return renderAlert(n.view);
    case "alert_group":
      return renderGroup(n.view);
    case "aider_session":
      return { text: renderSessionMessage(n.view, n.now, n.timeZone), keyboard: null };
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

import type {
  AlertRow,
  EscalationDone,
  IncidentRow,
  InlineKeyboard,
  MuteRow,
} from "../../db/schema/index.ts";
import { callbackData } from "../callback-data.ts";
import { proposeFixData } from "../heal/plan-message.ts";
import { incidentRef } from "../incidents/incident-ref.ts";
import { escapeAttr, escapeHtml, formatTime, truncateHtml } from "../telegram-format.ts";
import { renderTriageSection, type TriageView } from "../triage/triage-section.ts";
import { alertLinks, compactLabels } from "./alert-links.ts";

const ICON = { critical: "🔴", warning: "🟠", info: "🔵" } as const;

/** The Telegram message of an alert: HTML text and its buttons. */
export interface RenderedMessage {
  text: string;
  keyboard: InlineKeyboard | null;
}

/** What an alert message shows besides the alert itself. */
export interface AlertView {
  alert: AlertRow;
  incident: IncidentRow | null;
  /** The mute created from this alert's buttons, when it is still in force. */
  mute: MuteRow | null;
  timeZone: string;
  now: Date;
  /** This message was followed by a re-notification: no buttons, a pointer below. */
  retired?: boolean;
  /** A plan template (`HEAL_TEMPLATES`) matches the alert: offer "Propose fix" while firing. */
  proposeFix?: boolean;
  /** The alert's latest triage, shown as its "🧠 Triage" section. */
  triage?: TriageView | null;
  /** Receivers the alert was escalated to, and when (src/notifications/escalations.ts). */
  escalated?: readonly EscalationDone[];
}

/**
 * Renders an alert for the chat: severity, name and instance on line 1 (what a notification
 * preview shows), summary, description, the other
 * labels on one line, links (Source, Runbook, Dashboard, Silence: alert-links.ts), "+N more
 * in Alertmanager" when the webhook was truncated, start time in `timeZone`, repeat count and
 * last time, incident state, escalations, acknowledgement, mute and resolution (README,
 * "Events API, dedup, inhibition, mutes"), then the latest triage as its own section. Buttons: Acknowledge, Resolve, Mute 1 h, Mute 24 h while firing, Triage, and
 * Propose fix when a plan template matches; they thin out as decisions are made and vanish
 * once resolved.
 */
export function renderAlert(v: AlertView): RenderedMessage {
  const { alert, incident, timeZone } = v;
  const resolved = alert.status === "resolved";
  const head = resolved
    ? "✅ <b>RESOLVED</b>"
    : `${ICON[alert.severity]} <b>${alert.severity.toUpperCase()}</b>`;
  // What and where on line 1: a notification preview shows only the first line.
  const instance = alert.labels.instance ?? alert.labels.service ?? alert.labels.job;
  const where = instance ? ` · <code>${escapeHtml(instance)}</code>` : "";
  const lines = [`${head} · <b>${escapeHtml(alert.title)}</b>${where}`];
  if (alert.summary) lines.push(escapeHtml(alert.summary));
  const description = alert.annotations?.description;
  if (description && description !== alert.summary) lines.push(`<i>${escapeHtml(description)}</i>`);
  const labels = compactLabels(alert.labels);
  if (labels) lines.push(`Labels: <code>${escapeHtml(labels)}</code>`);
  const links = alertLinks(alert);
  if (links.length > 0) {
    lines.push(links.map((l) => `<a href="${escapeAttr(l.url)}">${l.label}</a>`).join(" · "));
  }
  if (alert.truncatedAlerts > 0) lines.push(`+${alert.truncatedAlerts} more in Alertmanager`);
  lines.push(`Started: ${formatTime(alert.startedAt, timeZone)} (${escapeHtml(timeZone)})`);
  if (alert.eventCount > 1) {
    lines.push(`Repeated: ×${alert.eventCount}, last ${formatTime(alert.lastEventAt, timeZone)}`);
  }
  if (incident) lines.push(`Incident ${incidentRef(incident)}: ${incident.status}`);
  for (const e of v.escalated ?? []) {
    const hhmm = formatTime(new Date(e.at), timeZone).slice(11, 16);
    lines.push(`⏫ Escalated to ${escapeHtml(e.receiver)} at ${hhmm}`);
  }
  if (alert.acknowledgedBy && alert.acknowledgedAt) {
    lines.push(
      `👤 Acknowledged by ${escapeHtml(alert.acknowledgedBy)} at ${formatTime(alert.acknowledgedAt, timeZone)}`,
    );
  }
  const muted = v.mute && !v.mute.liftedAt && v.mute.endsAt > v.now ? v.mute : null;
  if (muted && !resolved) {
    lines.push(
      `🔕 Muted until ${formatTime(muted.endsAt, timeZone)} by ${escapeHtml(muted.createdBy)}`,
    );
  }
  if (resolved && alert.resolvedAt) {
    const by = alert.resolvedBy ? ` by ${escapeHtml(alert.resolvedBy)}` : "";
    lines.push(`Resolved: ${formatTime(alert.resolvedAt, timeZone)}${by}`);
  }
  if (v.triage) lines.push(...renderTriageSection(v.triage));
  if (v.retired) lines.push("↪ Still firing: a newer message about it follows below.");
  const text = truncateHtml(lines.join("\n"), `see /incidents, alert ${alert.id}`);
  if (resolved || v.retired) return { text, keyboard: null };
  const keyboard = alertKeyboard(alert, muted);
  const last = [{ text: "🧠 Triage", callback_data: callbackData.triage(alert.id) }];
  if (v.proposeFix) last.push({ text: "🩹 Propose fix", callback_data: proposeFixData(alert.id) });
  keyboard.push(last);
  return { text, keyboard };
}

function alertKeyboard(alert: AlertRow, muted: MuteRow | null): InlineKeyboard {
  const first = [{ text: "✅ Resolve", callback_data: callbackData.resolve(alert.id) }];
  if (!alert.acknowledgedAt) {
    first.unshift({ text: "✋ Acknowledge", callback_data: callbackData.ack(alert.id) });
  }
  const second = muted
    ? [{ text: "🔔 Unmute", callback_data: callbackData.unmute(muted.id) }]
    : [
        { text: "🔕 Mute 1 h", callback_data: callbackData.mute(alert.id, 1) },
        { text: "🔕 Mute 24 h", callback_data: callbackData.mute(alert.id, 24) },
      ];
  return [first, second];
}

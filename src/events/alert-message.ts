import type { AlertRow, IncidentRow, InlineKeyboard } from "../../db/schema/index.ts";
import { callbackData } from "../callback-data.ts";
import { escapeHtml, formatTime, truncateHtml } from "../telegram-format.ts";

const ICON = { critical: "🔴", warning: "🟠", info: "🔵" } as const;

/** The Telegram message of an alert: HTML text and its buttons. */
export interface RenderedMessage {
  text: string;
  keyboard: InlineKeyboard | null;
}

/**
 * Renders an alert for the chat: name, severity, summary, instance, start time in
 * `timeZone`, repeat count, acknowledgement and resolution (issue 2, alert path). Buttons
 * disappear once nothing is left to decide.
 */
export function renderAlert(
  alert: AlertRow,
  incident: IncidentRow | null,
  timeZone: string,
): RenderedMessage {
  const resolved = alert.status === "resolved";
  const head = resolved
    ? "✅ <b>RESOLVED</b>"
    : `${ICON[alert.severity]} <b>${alert.severity.toUpperCase()}</b>`;
  const lines = [`${head} · <b>${escapeHtml(alert.title)}</b>`];
  if (alert.summary) lines.push(escapeHtml(alert.summary));
  const instance = alert.labels.instance ?? alert.labels.service ?? alert.labels.job;
  if (instance) lines.push(`Instance: <code>${escapeHtml(instance)}</code>`);
  lines.push(`Started: ${formatTime(alert.startedAt, timeZone)} (${escapeHtml(timeZone)})`);
  if (alert.eventCount > 1) {
    lines.push(`Repeated: ×${alert.eventCount}, last ${formatTime(alert.lastEventAt, timeZone)}`);
  }
  if (incident) lines.push(`Incident <code>${incident.id.slice(-8)}</code>: ${incident.status}`);
  if (alert.acknowledgedBy && alert.acknowledgedAt) {
    lines.push(
      `👤 Acknowledged by ${escapeHtml(alert.acknowledgedBy)} at ${formatTime(alert.acknowledgedAt, timeZone)}`,
    );
  }
  if (resolved && alert.resolvedAt)
    lines.push(`Resolved: ${formatTime(alert.resolvedAt, timeZone)}`);
  const text = truncateHtml(lines.join("\n"), `see /api/admin alert ${alert.id}`);
  const keyboard: InlineKeyboard | null =
    resolved || alert.acknowledgedAt
      ? null
      : [[{ text: "✋ Acknowledge", callback_data: callbackData.ack(alert.id) }]];
  return { text, keyboard };
}

import type { AlertRow, IncidentRow, InlineKeyboard, MuteRow } from "../../db/schema/index.ts";
import { callbackData } from "../callback-data.ts";
import { proposeFixData } from "../heal/plan-message.ts";
import { escapeHtml, formatTime, truncateHtml } from "../telegram-format.ts";
import { renderTriageSection, type TriageView } from "../triage/triage-section.ts";

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
}

/**
 * Renders an alert for the chat: name, severity, summary, instance, start time in
 * `timeZone`, repeat count and last time, incident state, acknowledgement, mute and
 * resolution (README, "Events API, dedup, inhibition, mutes"), then the latest triage as its
 * own section. Buttons: Acknowledge, Resolve, Mute 1 h, Mute 24 h while firing, Triage, and
 * Propose fix when a plan template matches; they thin out as decisions are made and vanish
 * once resolved.
 */
export function renderAlert(v: AlertView): RenderedMessage {
  const { alert, incident, timeZone } = v;
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

import type {
  AlertRow,
  EscalationDone,
  IncidentRow,
  InlineKeyboard,
  MuteRow,
} from "../../../db/schema/index.ts";
import { callbackData } from "../../callback-data.ts";
import { incidentRef } from "../../incidents/incident-ref.ts";
import { personName } from "../../person-name.ts";
import { escapeAttr, escapeHtml, MESSAGE_LIMIT, truncateHtml } from "../../telegram-format.ts";
import { cutText } from "../../text-cut.ts";
import { formatSpan, formatWhen, zoneNote } from "../../time-format.ts";
import type { TriageView } from "../../triage/triage-view.ts";
import type { RenderedMessage } from "../notification.ts";
import { alertLinks, compactLabels } from "./alert-links.ts";
import { renderTriageSection } from "./triage-section.ts";

const ICON = { critical: "🔴", warning: "🟠", info: "🔵" } as const;

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
 * Line 1's title and instance are cut to this many characters: Alertmanager bounds no label
 * value, and a 6,000-character alertname would otherwise push the whole message out.
 */
const MAX_HEAD_PART = 256;

/**
 * Links longer than this (a Silence link built from dozens of long labels) are left out: the
 * URL travels in the HTML, and one such link would take a large part of the message.
 */
const MAX_LINK = 2048;

/** Free text is never cut below this many characters when a message must shrink. */
const MIN_FREE_TEXT = 200;

/** The free-text parts of an alert message, the ones cut when it is too long. */
interface FreeText {
  summary: string;
  description: string;
  labels: string;
}

/**
 * Renders an alert for the chat: severity, name and instance on line 1 (what a notification
 * preview shows), summary, description, the other labels on one line, links (Source,
 * Runbook, Dashboard, Silence: alert-links.ts), "+N more in Alertmanager" when the webhook
 * was truncated, then the times as `18:08 (4m ago)` (src/time-format.ts) with the zone named
 * once, repeat count, incident, escalations, acknowledgement, mute and resolution (with how
 * long it fired), then the latest triage as its own section. Buttons: Acknowledge, Resolve,
 * Mute 1 h, Mute 24 h while firing, Triage, and Propose fix when a plan template matches;
 * they thin out as decisions are made and vanish once resolved.
 *
 * A message over Telegram's 4,096 characters loses the long part, not the rest: the
 * description, then the summary, then the labels line are cut (each to no less than 200
 * characters, marked `…`), so severity, instance, times, incident and buttons always stay;
 * line 1's title and instance are cut to 256 characters. Should the message still be too long
 * (a pathological list of escalations), whole lines go from the end and a last line points to
 * the incident number (`see /incidents, incident #17`), else the alert's title; never its id.
 */
export function renderAlert(v: AlertView): RenderedMessage {
  const { alert } = v;
  const full: FreeText = {
    summary: alert.summary,
    description: alert.annotations?.description ?? "",
    labels: compactLabels(alert.labels),
  };
  let free = full;
  let text = alertText(v, free);
  // Each pass shortens the free text by what is still over (escaping can make it longer
  // than the raw text, hence more than one pass); three passes are plenty in practice.
  for (let pass = 0; pass < 3 && text.length > MESSAGE_LIMIT; pass++) {
    let over = text.length - MESSAGE_LIMIT + 16;
    const next = { ...free };
    for (const key of ["description", "summary", "labels"] as const) {
      if (over <= 0) break;
      const cur = next[key];
      const room = Math.max(MIN_FREE_TEXT, cur.length - over);
      if (room >= cur.length) continue;
      over -= cur.length - room;
      next[key] = cutText(cur, room);
    }
    free = next;
    text = alertText(v, free);
  }
  const pointer = v.incident
    ? `see /incidents, incident ${incidentRef(v.incident)}`
    : `cut to fit; alert “${escapeHtml(cutText(alert.title, 80))}”`;
  text = truncateHtml(text, pointer);
  if (alert.status === "resolved" || v.retired) return { text, keyboard: null };
  const muted = activeMute(v);
  const keyboard = alertKeyboard(alert, muted);
  const last = [{ text: "🧠 Triage", callback_data: callbackData.triage(alert.id) }];
  if (v.proposeFix)
    last.push({ text: "🩹 Propose fix", callback_data: callbackData.proposeFix(alert.id) });
  keyboard.push(last);
  return { text, keyboard };
}

/** The mute shown on the message: in force at `v.now` and not lifted, else null. */
function activeMute(v: AlertView): MuteRow | null {
  return v.mute && !v.mute.liftedAt && v.mute.endsAt > v.now ? v.mute : null;
}

/** The message text with `free` as its free-text parts (see {@link renderAlert}). */
function alertText(v: AlertView, free: FreeText): string {
  const { alert, incident, timeZone, now } = v;
  const when = (d: Date) => formatWhen(d, now, timeZone);
  const resolved = alert.status === "resolved";
  const head = resolved
    ? "✅ <b>RESOLVED</b>"
    : `${ICON[alert.severity]} <b>${alert.severity.toUpperCase()}</b>`;
  // What and where on line 1: a notification preview shows only the first line.
  const instance = alert.labels.instance ?? alert.labels.service ?? alert.labels.job;
  const where = instance ? ` · <code>${escapeHtml(cutText(instance, MAX_HEAD_PART))}</code>` : "";
  const title = escapeHtml(cutText(alert.title, MAX_HEAD_PART));
  const lines = [`${head} · <b>${title}</b>${where}`];
  if (free.summary) lines.push(escapeHtml(free.summary));
  if (free.description && alert.annotations?.description !== alert.summary) {
    lines.push(`<i>${escapeHtml(free.description)}</i>`);
  }
  if (free.labels) lines.push(`Labels: <code>${escapeHtml(free.labels)}</code>`);
  const links = alertLinks(alert).filter((l) => l.url.length <= MAX_LINK);
  if (links.length > 0) {
    lines.push(links.map((l) => `<a href="${escapeAttr(l.url)}">${l.label}</a>`).join(" · "));
  }
  if (alert.truncatedAlerts > 0) lines.push(`+${alert.truncatedAlerts} more in Alertmanager`);
  lines.push(`Started: ${when(alert.startedAt)}`);
  if (alert.eventCount > 1) {
    lines.push(`Repeated: ×${alert.eventCount}, last ${when(alert.lastEventAt)}`);
  }
  if (incident) lines.push(`Incident ${incidentRef(incident)}: ${incident.status}`);
  for (const e of v.escalated ?? []) {
    lines.push(`⏫ Escalated to ${escapeHtml(e.receiver)} at ${when(new Date(e.at))}`);
  }
  if (alert.acknowledgedBy && alert.acknowledgedAt) {
    const who = escapeHtml(personName(alert.acknowledgedBy));
    lines.push(`👤 Acknowledged by ${who} at ${when(alert.acknowledgedAt)}`);
  }
  const muted = activeMute(v);
  if (muted && !resolved) {
    const who = escapeHtml(personName(muted.createdBy));
    lines.push(`🔕 Muted until ${when(muted.endsAt)} by ${who}`);
  }
  if (resolved && alert.resolvedAt) {
    const by = alert.resolvedBy ? ` by ${escapeHtml(personName(alert.resolvedBy))}` : "";
    const fired = formatSpan(alert.resolvedAt.getTime() - alert.startedAt.getTime());
    lines.push(`Resolved: ${when(alert.resolvedAt)}${by} · fired ${fired}`);
  }
  lines.push(zoneNote(timeZone));
  if (v.triage) lines.push(...renderTriageSection(v.triage));
  if (v.retired) lines.push("↪ Still firing: a newer message about it follows below.");
  return lines.join("\n");
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

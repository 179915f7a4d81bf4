import type { IncidentRow, InlineKeyboard } from "../../../db/schema/index.ts";
import { callbackData, homeButton } from "../../callback-data.ts";
import { type IncidentTag, incidentRef } from "../../incidents/incident-ref.ts";
import { personName } from "../../person-name.ts";
import { escapeHtml, pagerRow, truncateHtml } from "../../telegram-format.ts";
import { formatSpan, formatWhen, relativeTime, zoneNote } from "../../time-format.ts";

/** Incidents per page of /incidents. */
export const INCIDENTS_PAGE_SIZE = 5;

/** One page of the /incidents list, as the command and the ◀ ▶ buttons show it. */
export interface IncidentPage {
  rows: IncidentRow[];
  total: number;
  /** 0-based page number. */
  page: number;
  /** Symptom memory per incident id: "Seen 3 times; last fixed by …" (plain text). */
  memory?: ReadonlyMap<string, string>;
  /** Where each incident fires (its newest alert's instance), by incident id. */
  tags?: ReadonlyMap<string, IncidentTag>;
  /** The moment of the view, for ages. */
  now: Date;
}

/** Icon per incident state (open 🔴, acknowledged 🟡, resolved ✅). */
export const INCIDENT_ICON = { open: "🔴", acknowledged: "🟡", resolved: "✅" } as const;

/**
 * The first line of an incident wherever it is listed:
 * `#17 🟡 HighErrorRate · db-1 · acknowledged 4m ago` (the age of its latest state change).
 */
export function incidentHeadline(i: IncidentRow, now: Date, place?: string): string {
  const since =
    i.status === "resolved"
      ? (i.resolvedAt ?? i.openedAt)
      : i.status === "acknowledged"
        ? (i.acknowledgedAt ?? i.openedAt)
        : i.openedAt;
  const where = place ? ` · ${escapeHtml(place)}` : "";
  return `<b>${incidentRef(i)}</b> ${INCIDENT_ICON[i.status]} <b>${escapeHtml(i.title)}</b>${where} · ${i.status} ${relativeTime(since, now)}`;
}

function describe(i: IncidentRow, p: IncidentPage, timeZone: string): string {
  const lines = [incidentHeadline(i, p.now, p.tags?.get(i.id)?.place)];
  const detail = [`opened ${formatWhen(i.openedAt, p.now, timeZone)}`];
  if (i.acknowledgedBy) detail.push(`👤 ${escapeHtml(personName(i.acknowledgedBy))}`);
  if (i.resolvedAt) {
    detail.push(
      `fired ${formatSpan(i.resolvedAt.getTime() - i.openedAt.getTime())}, resolved by ${escapeHtml(personName(i.resolvedBy ?? "?"))}`,
    );
  }
  lines.push(detail.join(" · "));
  const memory = p.memory?.get(i.id);
  if (memory) lines.push(`📚 ${escapeHtml(memory)}`);
  return lines.join("\n");
}

/**
 * Renders a page: open and acknowledged incidents first, then recently resolved ones; each
 * unresolved incident gets a row of buttons (✋ #17, ✅ #17, 🔕 1 h, 🔕 24 h) named like the
 * text, and a ◀ n/m ▶ row pages through the list in place.
 */
export function renderIncidentPage(
  p: IncidentPage,
  timeZone: string,
): { text: string; keyboard: InlineKeyboard } {
  const pages = Math.max(1, Math.ceil(p.total / INCIDENTS_PAGE_SIZE));
  if (p.total === 0) return { text: "🟢 No open or recent incidents.", keyboard: [[homeButton()]] };
  const blocks = p.rows.map((r) => describe(r, p, timeZone));
  const text = truncateHtml(
    [
      `<b>Incidents</b> (${p.total}; page ${p.page + 1}/${pages})`,
      ...blocks,
      zoneNote(timeZone),
    ].join("\n\n"),
    "use ◀ ▶ for the rest",
  );
  const keyboard: InlineKeyboard = [];
  for (const r of p.rows) {
    if (r.status === "resolved") continue;
    const ref = incidentRef(r);
    keyboard.push([
      ...(r.status === "open"
        ? [{ text: `✋ ${ref}`, callback_data: callbackData.incident.ack(r.id) }]
        : []),
      { text: `✅ ${ref}`, callback_data: callbackData.incident.resolve(r.id) },
      { text: `🔕 1 h`, callback_data: callbackData.incident.mute(r.id, 1) },
      { text: `🔕 24 h`, callback_data: callbackData.incident.mute(r.id, 24) },
    ]);
  }
  if (pages > 1) {
    keyboard.push(pagerRow(p.page, pages, callbackData.incidentsPage));
  }
  keyboard.push([homeButton()]);
  return { text, keyboard };
}

import type { IncidentRow, InlineKeyboard } from "../../db/schema/index.ts";
import { callbackData } from "../callback-data.ts";
import { escapeHtml, formatTime, pagerRow, truncateHtml } from "../telegram-format.ts";

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
}

const STATUS_ICON = { open: "🔴", acknowledged: "🟡", resolved: "✅" } as const;

function describe(i: IncidentRow, n: number, timeZone: string, memory?: string): string {
  const lines = [
    `<b>${n}.</b> ${STATUS_ICON[i.status]} <b>${escapeHtml(i.title)}</b> · ${i.status} · <code>${i.id.slice(-8)}</code>`,
    `opened ${formatTime(i.openedAt, timeZone)}`,
  ];
  if (i.acknowledgedBy && i.acknowledgedAt) {
    lines.push(`👤 ${escapeHtml(i.acknowledgedBy)} at ${formatTime(i.acknowledgedAt, timeZone)}`);
  }
  if (i.resolvedAt) {
    lines.push(
      `resolved ${formatTime(i.resolvedAt, timeZone)} by ${escapeHtml(i.resolvedBy ?? "?")}`,
    );
  }
  if (memory) lines.push(`📚 ${escapeHtml(memory)}`);
  return lines.join("\n");
}

/**
 * Renders a page: open and acknowledged incidents first, then recently resolved ones; each
 * unresolved incident gets a row of buttons (✋ Ack, ✅ Resolve, 🔕 1 h, 🔕 24 h) numbered
 * like the text, and a ◀ n/m ▶ row pages through the list in place.
 */
export function renderIncidentPage(
  p: IncidentPage,
  timeZone: string,
): { text: string; keyboard: InlineKeyboard } {
  const pages = Math.max(1, Math.ceil(p.total / INCIDENTS_PAGE_SIZE));
  if (p.total === 0) return { text: "🟢 No open or recent incidents.", keyboard: [] };
  const first = p.page * INCIDENTS_PAGE_SIZE;
  const blocks = p.rows.map((r, i) => describe(r, first + i + 1, timeZone, p.memory?.get(r.id)));
  const text = truncateHtml(
    [`<b>Incidents</b> (${p.total}; page ${p.page + 1}/${pages})`, ...blocks].join("\n\n"),
    "use ◀ ▶ for the rest",
  );
  const keyboard: InlineKeyboard = [];
  p.rows.forEach((r, i) => {
    if (r.status === "resolved") return;
    const n = first + i + 1;
    keyboard.push([
      ...(r.status === "open"
        ? [{ text: `✋ ${n}`, callback_data: callbackData.incident.ack(r.id) }]
        : []),
      { text: `✅ ${n}`, callback_data: callbackData.incident.resolve(r.id) },
      { text: `🔕 1 h`, callback_data: callbackData.incident.mute(r.id, 1) },
      { text: `🔕 24 h`, callback_data: callbackData.incident.mute(r.id, 24) },
    ]);
  });
  if (pages > 1) {
    keyboard.push(pagerRow(p.page, pages, callbackData.incidentsPage));
  }
  return { text, keyboard };
}

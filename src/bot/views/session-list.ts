import type { AiderSessionRow, InlineKeyboard } from "../../../db/schema/index.ts";
import { repoName } from "../../aider/aider-alerts.ts";
import { sessionKey } from "../../aider/aider-queries.ts";
import { clockDuration, cost, plural } from "../../aider/session-format.ts";
import { callbackData } from "../../callback-data.ts";
import { escapeHtml, pagerRow, truncateHtml } from "../../telegram-format.ts";
import { formatWhen, zoneNote } from "../../time-format.ts";

/** Sessions per page of /sessions. */
export const SESSIONS_PAGE_SIZE = 5;

/** One page of the list, as /sessions and its buttons show it. */
export interface SessionPage {
  rows: AiderSessionRow[];
  total: number;
  /** 0-based. */
  page: number;
}

function describe(s: AiderSessionRow, n: number, now: Date, timeZone: string): string {
  const state = s.endedAt
    ? `${s.exitCode === 0 ? "🏁" : "⚠️"} ${clockDuration(s.durationSec ?? 0)} · exit ${s.exitCode ?? "killed"}`
    : "⏳ running";
  const model = s.model ? ` · <code>${escapeHtml(s.model)}</code>` : "";
  return [
    `<b>${n}.</b> <b>${escapeHtml(repoName(s.cwd))}</b> · ${formatWhen(s.startedAt, now, timeZone)}${model}`,
    `${state} · ${plural(s.filesChanged, "file")} · ${plural(s.errorCount, "error")} · ${cost(s.costUsd)}`,
  ].join("\n");
}

/**
 * Renders a page of /sessions, newest first: repo, start, model, state (running, or
 * duration and exit code), files, errors and cost; a numbered ℹ️ button per session opens
 * its summary in place, and ◀ n/m ▶ pages through the list in place. Starts as
 * `22:05 (6m ago)` as of `now`, the zone named once under the heading.
 */
export function renderSessionPage(
  p: SessionPage,
  now: Date,
  timeZone: string,
): { text: string; keyboard: InlineKeyboard } {
  if (p.total === 0) return { text: "No aider sessions recorded yet.", keyboard: [] };
  const pages = Math.max(1, Math.ceil(p.total / SESSIONS_PAGE_SIZE));
  const first = p.page * SESSIONS_PAGE_SIZE;
  const text = truncateHtml(
    [
      `<b>aider sessions</b> (${p.total}; page ${p.page + 1}/${pages})\n${zoneNote(timeZone)}`,
      ...p.rows.map((s, i) => describe(s, first + i + 1, now, timeZone)),
    ].join("\n\n"),
    "use ◀ ▶ for the rest",
  );
  const keyboard: InlineKeyboard = [
    p.rows.map((s, i) => ({
      text: `ℹ️ ${first + i + 1}`,
      callback_data: callbackData.sessions.details(p.page, sessionKey(s.id)),
    })),
  ];
  if (pages > 1) keyboard.push(pagerRow(p.page, pages, callbackData.sessions.page));
  return { text, keyboard };
}

/** The Back button under one session's details. */
export function backKeyboard(page: number): InlineKeyboard {
  return [[{ text: "◀ Back to the list", callback_data: callbackData.sessions.page(page) }]];
}

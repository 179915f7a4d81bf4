import { and, count, desc, gte, lt, sql, sum } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { aiderFileTouches, aiderSessions } from "../../db/schema/index.ts";
import { int } from "../reports/report-format.ts";
import type { ReportSectionProvider } from "../reports/report-source.ts";
import type { ReportSection, ReportWindow } from "../reports/report-types.ts";
import { clockDuration, compactCount, cost } from "./session-format.ts";

/**
 * aider sessions that started in a report window: how many, how
 * many still run, their summed duration (s, ended ones), tokens, cost (USD) and errors, and
 * the files touched most often in the window.
 */
export interface AiderReportStats {
  sessions: number;
  running: number;
  durationSec: number;
  tokensSent: number;
  tokensRecv: number;
  costUsd: number;
  errors: number;
  topFiles: { path: string; touches: number; added: number; deleted: number }[];
}

/** Files listed in the report. */
const TOP_FILES = 3;

/**
 * The report section's lines (plain text; the report renderer escapes them). Pure.
 * @example aiderReportLines(stats) // ["2 sessions · 11m04s · 24k↑ / 2.8k↓ tokens · $0.0062 · 2 errors", …]
 */
export function aiderReportLines(s: AiderReportStats): string[] {
  if (s.sessions === 0) return ["no sessions"];
  const count = s.sessions === 1 ? "1 session" : `${int(s.sessions)} sessions`;
  const running = s.running > 0 ? ` (${s.running} running)` : "";
  const errors = s.errors === 1 ? "1 error" : `${int(s.errors)} errors`;
  const lines = [
    `${count}${running} · ${clockDuration(s.durationSec)} · ${compactCount(s.tokensSent)}↑ / ${compactCount(s.tokensRecv)}↓ tokens · ${cost(s.costUsd)} · ${errors}`,
  ];
  if (s.topFiles.length > 0) {
    lines.push(
      "top files",
      ...s.topFiles.map((f) => `• ${f.path} ×${f.touches} (+${f.added} −${f.deleted})`),
    );
  }
  return lines;
}

/** Reads {@link AiderReportStats} for a window. */
export async function aiderReportStats(db: Db, w: ReportWindow): Promise<AiderReportStats> {
  const s = aiderSessions;
  const [row] = await db
    .select({
      sessions: count(),
      running: sql<number>`count(*) filter (where ${s.endedAt} is null)`.mapWith(Number),
      durationSec: sum(s.durationSec).mapWith(Number),
      tokensSent: sum(s.tokensSent).mapWith(Number),
      tokensRecv: sum(s.tokensRecv).mapWith(Number),
      costUsd: sum(s.costUsd).mapWith(Number),
      errors: sum(s.errorCount).mapWith(Number),
    })
    .from(s)
    .where(and(gte(s.startedAt, w.from), lt(s.startedAt, w.to)));
  const t = aiderFileTouches;
  const touches = count();
  const topFiles = await db
    .select({
      path: t.path,
      touches,
      added: sum(t.linesAdded).mapWith(Number),
      deleted: sum(t.linesDeleted).mapWith(Number),
    })
    .from(t)
    .where(and(gte(t.touchedAt, w.from), lt(t.touchedAt, w.to)))
    .groupBy(t.path)
    .orderBy(desc(touches), t.path)
    .limit(TOP_FILES);
  return {
    sessions: row?.sessions ?? 0,
    running: row?.running ?? 0,
    durationSec: row?.durationSec ?? 0,
    tokensSent: row?.tokensSent ?? 0,
    tokensRecv: row?.tokensRecv ?? 0,
    costUsd: row?.costUsd ?? 0,
    errors: row?.errors ?? 0,
    topFiles,
  };
}

/** The aider section of the daily and weekly reports. */
export function aiderReportSection(db: Db): ReportSectionProvider {
  return async (w): Promise<ReportSection> => ({
    title: "aider sessions",
    lines: aiderReportLines(await aiderReportStats(db, w)),
  });
}

import type { SmokeRunRow } from "../../../db/schema/index.ts";
import type { SmokeRun } from "../../smoke/smoke-service.ts";
import { checkOrder, okShare, type SmokeDistribution } from "../../smoke/smoke-stats.ts";
import { CHECK_LABELS, type CheckName, STATUS_ICON } from "../../smoke/smoke-types.ts";
import { escapeHtml, truncateHtml } from "../../telegram-format.ts";
import { clockTime, formatWhen, zoneNote } from "../../time-format.ts";

const label = (name: string) => CHECK_LABELS[name as CheckName] ?? name;

/** `1 run`, `2 runs`. */
export const runs = (n: number) => `${n} run${n === 1 ? "" : "s"}`;

/** The per-check ok / warning / critical table of a distribution, in a `<pre>` block. */
export function renderDistribution(d: SmokeDistribution): string {
  const names = checkOrder(d);
  if (names.length === 0) return "no runs";
  const width = Math.max(5, ...names.map((n) => label(n).length));
  const row = (a: string, b: string, c: string, e: string) =>
    `${a.padEnd(width)} ${b.padStart(5)} ${c.padStart(5)} ${e.padStart(5)}`;
  const lines = names.map((n) => {
    const c = d.byCheck[n] ?? { ok: 0, warning: 0, critical: 0 };
    return row(label(n), String(c.ok), String(c.warning), String(c.critical));
  });
  return `<pre>${escapeHtml([row("check", "ok", "warn", "crit"), ...lines].join("\n"))}</pre>`;
}

/**
 * The /smoke answer: each check with its status and detail line, then the
 * last 24 h distribution (which includes this run), or a note when the history could not be
 * read (`last24h` undefined: the database is what failed). Clock times (the run's, those in
 * the schedule check's detail) are in `timeZone`, named once above the distribution.
 */
export function renderSmokeRun(
  run: SmokeRun,
  last24h: SmokeDistribution | undefined,
  timeZone: string,
): string {
  const head = `${STATUS_ICON[run.overall]} <b>Smoke check</b>: ${run.overall} · ${clockTime(run.ranAt, run.ranAt, timeZone)} (${run.durationMs} ms)`;
  const checks = run.results.map(
    (r) => `${STATUS_ICON[r.status]} ${escapeHtml(label(r.name))} — ${escapeHtml(r.detail)}`,
  );
  const notSaved = run.saved ? [] : ["⚠️ this run could not be stored in the history"];
  const dist = last24h
    ? [`<b>Last 24 h</b>: ${runs(last24h.runs)}`, renderDistribution(last24h)]
    : ["<b>Last 24 h</b>: history unavailable"];
  return truncateHtml(
    [head, ...checks, ...notSaved, zoneNote(timeZone), "", ...dist].join("\n"),
    "see /api/admin/smoke/history",
  );
}

/**
 * The daily smoke summary (sent at 09:10; built from the stored history, running no check):
 * runs in the window, the share that was ok, the per-check table and the latest run's overall
 * status, as `09:09 (1m ago)` with the zone named under the heading.
 */
export function renderSmokeSummary(
  d: SmokeDistribution,
  window: { from: Date; to: Date },
  latest: Pick<SmokeRunRow, "ranAt" | "overall"> | undefined,
  timeZone: string,
): string {
  const head = `🩺 <b>Smoke summary</b> · 24 h to ${clockTime(window.to, window.to, timeZone)}\n${zoneNote(timeZone)}`;
  if (d.runs === 0) return `${head}\nNo smoke runs in this window: is the scheduler running?`;
  const share = okShare(d.overall) ?? 0;
  const lines = [
    head,
    `${runs(d.runs)}: ${share}% ok · ${d.overall.warning} warning · ${d.overall.critical} critical`,
    renderDistribution(d),
  ];
  if (latest) {
    lines.push(
      `Latest run ${formatWhen(latest.ranAt, window.to, timeZone)}: ${STATUS_ICON[latest.overall]} ${latest.overall}`,
    );
  }
  return truncateHtml(lines.join("\n"), "see /api/admin/smoke/history");
}

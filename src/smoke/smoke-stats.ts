import type { SmokeRunRow } from "../../db/schema/index.ts";
import { CHECK_NAMES, type Level } from "./smoke-types.ts";

/** Counts of ok / warning / critical. */
export type LevelCounts = Record<Level, number>;

/**
 * How smoke runs came out over a window: runs, the overall status of each run, and per check
 * how often it was ok / warning / critical (`skipped` results are not counted; a check that
 * was always skipped has no entry).
 */
export interface SmokeDistribution {
  runs: number;
  overall: LevelCounts;
  byCheck: Record<string, LevelCounts>;
}

const zero = (): LevelCounts => ({ ok: 0, warning: 0, critical: 0 });

/** Counts stored runs into a {@link SmokeDistribution} (pure). */
export function distribute(
  rows: readonly Pick<SmokeRunRow, "overall" | "checks">[],
): SmokeDistribution {
  const byCheck: Record<string, LevelCounts> = {};
  const overall = zero();
  for (const r of rows) {
    overall[r.overall]++;
    for (const [name, status] of Object.entries(r.checks)) {
      if (status === "skipped") continue;
      byCheck[name] ??= zero();
      byCheck[name][status]++;
    }
  }
  return { runs: rows.length, overall, byCheck };
}

/** Check names of a distribution, known checks first in display order, then any others. */
export function checkOrder(d: SmokeDistribution): string[] {
  const known: string[] = CHECK_NAMES.filter((n) => d.byCheck[n]);
  return [...known, ...Object.keys(d.byCheck).filter((n) => !known.includes(n))];
}

/** Share of ok results in percent, one decimal (undefined when nothing counted). */
export function okShare(c: LevelCounts): number | undefined {
  const total = c.ok + c.warning + c.critical;
  return total === 0 ? undefined : Math.round((c.ok / total) * 1000) / 10;
}

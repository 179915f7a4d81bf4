import { OUTCOMES } from "../../db/schema/index.ts";
import type { Outcome } from "../events/event-router.ts";
import type {
  AlertStats,
  CooldownStats,
  HealPlanStats,
  IncidentStats,
  ReportWindow,
} from "./report-types.ts";

/** Whether `d` lies in `[from, to)`. */
export function inWindow(d: Date | null | undefined, w: ReportWindow): d is Date {
  return d != null && d >= w.from && d < w.to;
}

/** `resolved_by` of incidents that resolved because all their alerts did (incident-service). */
export const AUTO_RESOLVED_PREFIX = "auto";

/** The incident fields the report counts. */
export interface IncidentTimes {
  openedAt: Date;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
}

const mean = (xs: number[]) =>
  xs.length === 0 ? null : Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);

/** Counts incident steps in the window and the mean times to acknowledge and resolve (pure). */
export function incidentStats(rows: readonly IncidentTimes[], w: ReportWindow): IncidentStats {
  const acked = rows.filter((r) => inWindow(r.acknowledgedAt, w));
  const resolved = rows.filter((r) => inWindow(r.resolvedAt, w));
  return {
    opened: rows.filter((r) => inWindow(r.openedAt, w)).length,
    acknowledged: acked.length,
    resolved: resolved.length,
    resolvedByHand: resolved.filter(
      (r) => r.resolvedBy && !r.resolvedBy.startsWith(AUTO_RESOLVED_PREFIX),
    ).length,
    mttaMs: mean(acked.map((r) => (r.acknowledgedAt as Date).getTime() - r.openedAt.getTime())),
    mttrMs: mean(resolved.map((r) => (r.resolvedAt as Date).getTime() - r.openedAt.getTime())),
  };
}

/** Events per outcome → {@link AlertStats}; outcomes without events count 0 (pure). */
export function alertStats(counts: readonly { outcome: Outcome; n: number }[]): AlertStats {
  const byOutcome = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  for (const c of counts) byOutcome[c.outcome] += c.n;
  return { received: Object.values(byOutcome).reduce((a, b) => a + b, 0), byOutcome };
}

/** Cooldowns that started in the window, per backend, most first (pure). */
export function cooldownStats(
  rows: readonly { backendName: string; startedAt: Date }[],
  w: ReportWindow,
): CooldownStats {
  const per = new Map<string, number>();
  let count = 0;
  for (const r of rows) {
    if (!inWindow(r.startedAt, w)) continue;
    count++;
    per.set(r.backendName, (per.get(r.backendName) ?? 0) + 1);
  }
  const byBackend = [...per.entries()]
    .map(([name, n]) => ({ name, count: n }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  return { count, byBackend };
}

/** Heal plan audit steps per count → {@link HealPlanStats}; other steps are ignored (pure). */
export function healPlanStats(counts: readonly { step: string; n: number }[]): HealPlanStats {
  const stats: HealPlanStats = {
    proposed: 0,
    approved: 0,
    rejected: 0,
    expired: 0,
    succeeded: 0,
    reverted: 0,
    failed: 0,
    refused: 0,
  };
  for (const c of counts) if (c.step in stats) stats[c.step as keyof HealPlanStats] += c.n;
  return stats;
}

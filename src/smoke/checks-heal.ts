import { formatDuration } from "../telegram-format.ts";
import type { SmokeThresholds } from "./smoke-config.ts";
import type { CheckResult } from "./smoke-types.ts";

/** Heal plans as the heal_plans check sees them (read from heal_plans). */
export interface HealPlanFacts {
  /** Pending plans not yet past their expiry. */
  pending: number;
  /** Plans in `running`, with their target and start. */
  running: { target: string; startedAt: Date | null }[];
  /** Plans that ended `failed` / `reverted` in the last 24 h. */
  failed24h: number;
  reverted24h: number;
}

/**
 * Heal plans. Warning when a plan has been
 * `running` longer than any execution can (`healRunningMs`: fixer timeout + L4 window, so its
 * process stopped or hung), or when a plan failed or was reverted in the last 24 h; ok
 * otherwise. Pending plans are counted, never a warning: they wait for a person.
 */
export function checkHealPlans(
  f: HealPlanFacts,
  now: Date,
  th: Pick<SmokeThresholds, "healRunningMs">,
): CheckResult {
  const stuck = f.running
    .map((r) => ({ target: r.target, ms: now.getTime() - (r.startedAt?.getTime() ?? 0) }))
    .filter((r) => r.ms > th.healRunningMs)
    .sort((a, b) => b.ms - a.ms);
  const parts = [
    `${f.pending} pending, ${f.running.length} running`,
    `24 h: ${f.failed24h} failed, ${f.reverted24h} reverted`,
  ];
  if (stuck.length > 0) {
    const first = stuck[0] as (typeof stuck)[number];
    const more = stuck.length > 1 ? ` (+${stuck.length - 1} more)` : "";
    parts.push(`stuck: ${first.target} running ${formatDuration(first.ms)}${more}`);
  }
  const bad = stuck.length > 0 || f.failed24h + f.reverted24h > 0;
  return { name: "heal_plans", status: bad ? "warning" : "ok", detail: parts.join(" · ") };
}

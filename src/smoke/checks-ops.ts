import { JOB_NAMES, JOBS, slotOf } from "../scheduler/schedule-spec.ts";
import { formatDuration } from "../telegram-format.ts";
import { clockTime } from "../time-format.ts";
import type { SmokeThresholds } from "./smoke-config.ts";
import type { CheckResult, Level } from "./smoke-types.ts";

/** An unresolved incident as the incidents check sees it. */
export interface OpenIncidentFact {
  status: "open" | "acknowledged" | "resolved";
  openedAt: Date;
}

/**
 * Unresolved incidents and the age of the oldest (incidents opened by smoke alerts are left
 * out by the probe, or a failing check would keep itself critical). Warning while any is
 * unresolved; critical when one has stayed unacknowledged `SMOKE_INCIDENT_CRITICAL_MIN`.
 */
export function checkIncidents(
  incidents: readonly OpenIncidentFact[],
  now: Date,
  th: SmokeThresholds,
): CheckResult {
  const unresolved = incidents.filter((i) => i.status !== "resolved");
  if (unresolved.length === 0) return { name: "incidents", status: "ok", detail: "none open" };
  const age = (i: OpenIncidentFact) => now.getTime() - i.openedAt.getTime();
  const oldest = Math.max(...unresolved.map(age));
  const unacked = unresolved.filter((i) => i.status === "open");
  const oldestUnacked = unacked.length ? Math.max(...unacked.map(age)) : 0;
  const status: Level = oldestUnacked >= th.incidentCriticalMin * 60_000 ? "critical" : "warning";
  const acked = unresolved.length - unacked.length;
  const parts = [`${unacked.length} open`, ...(acked ? [`${acked} acknowledged`] : [])];
  const tail = unacked.length
    ? `oldest unacknowledged ${formatDuration(oldestUnacked)}`
    : `oldest ${formatDuration(oldest)}`;
  return { name: "incidents", status, detail: `${parts.join(", ")}; ${tail}` };
}

/** The latest run of a job as the schedules check sees it (schedule_runs). */
export interface RunFact {
  scheduledFor: Date;
  startedAt: Date;
  outcome: "running" | "ok" | "failed";
}

/** A run claimed this long ago and still `running` is reported stuck. */
const STUCK_MS = 30 * 60_000;

function judgeJob(
  job: (typeof JOB_NAMES)[number],
  last: RunFact | undefined,
  ctx: { now: Date; since: Date; graceMs: number; timeZone: string },
): string | undefined {
  const expected = slotOf(job, new Date(ctx.now.getTime() - ctx.graceMs), ctx.timeZone);
  const label = JOBS[job].label;
  if (expected >= ctx.since && (!last || last.scheduledFor < expected))
    return `${label} missed ${clockTime(expected, ctx.now, ctx.timeZone)}`;
  if (last?.outcome === "failed") return `${label} failed`;
  if (last?.outcome === "running" && ctx.now.getTime() - last.startedAt.getTime() > STUCK_MS)
    return `${label} stuck since ${clockTime(last.startedAt, ctx.now, ctx.timeZone)}`;
  return undefined;
}

/**
 * Last run of each schedule (schedule_runs, shared by all replicas). Warning when a job's
 * latest run failed or is stuck, or a slot passed (plus `SMOKE_SCHEDULE_GRACE_MIN`) with no
 * run; slots before `since` (this process's start) are not expected.
 */
export function checkSchedules(
  latest: ReadonlyMap<string, RunFact>,
  ctx: { now: Date; since: Date; timeZone: string },
  th: SmokeThresholds,
): CheckResult {
  const graceMs = th.scheduleGraceMin * 60_000;
  const problems = JOB_NAMES.flatMap((job) => {
    const p = judgeJob(job, latest.get(job), { ...ctx, graceMs });
    return p ? [p] : [];
  });
  if (problems.length > 0)
    return { name: "schedules", status: "warning", detail: problems.join(" · ") };
  const smoke = latest.get("smoke");
  const ran = [...latest.values()].filter((r) => r.outcome !== "running").length;
  const lastSmoke = smoke
    ? `; last smoke ${clockTime(smoke.scheduledFor, ctx.now, ctx.timeZone)}`
    : "";
  return {
    name: "schedules",
    status: "ok",
    detail: `${ran}/${JOB_NAMES.length} jobs have run, none late or failed${lastSmoke}`,
  };
}

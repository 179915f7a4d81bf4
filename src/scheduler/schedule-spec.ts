import { addDays, hhmm, isoDate, zonedParts, zonedToInstant } from "./zoned-time.ts";

/**
 * The scheduled jobs (README.md, Smoke checks and reports): smoke every 5 min, smoke summary
 * daily 09:10, daily report 23:50 and weekly report Sunday 22:00, and the daily history
 * cleanup. All times are wall-clock in `REPORT_TIMEZONE`.
 */
export const JOB_NAMES = [
  "smoke",
  "smoke_summary",
  "daily_report",
  "weekly_report",
  "cleanup",
] as const;
/** A scheduled job's name. */
export type JobName = (typeof JOB_NAMES)[number];

/** When a job runs: every `everyMinutes`, or at `hour:minute` (on `weekday`, 0 = Sunday). */
export type JobTiming =
  | { everyMinutes: number }
  | { hour: number; minute: number; weekday?: number };

/** A job's timing, its name for people and the prefix of its period keys. */
export interface JobSpec {
  timing: JobTiming;
  label: string;
  /** Period keys are `<prefix>:<local date or minute>`, unique per run (schedule_runs). */
  periodPrefix: string;
}

/** The timing of every job. */
export const JOBS: Record<JobName, JobSpec> = {
  smoke: { timing: { everyMinutes: 5 }, label: "smoke checks", periodPrefix: "smoke" },
  smoke_summary: {
    timing: { hour: 9, minute: 10 },
    label: "smoke summary",
    periodPrefix: "smoke-summary",
  },
  daily_report: { timing: { hour: 23, minute: 50 }, label: "daily report", periodPrefix: "daily" },
  weekly_report: {
    timing: { hour: 22, minute: 0, weekday: 0 },
    label: "weekly report",
    periodPrefix: "weekly",
  },
  cleanup: { timing: { hour: 4, minute: 30 }, label: "history cleanup", periodPrefix: "cleanup" },
};

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** The node-cron expression of a timing, e.g. `*\/5 * * * *`, `0 22 * * 0`. */
export function cronExpression(t: JobTiming): string {
  if ("everyMinutes" in t) return `*/${t.everyMinutes} * * * *`;
  return `${t.minute} ${t.hour} * * ${t.weekday ?? "*"}`;
}

/** A timing for people: `every 5 min`, `daily 09:10`, `Sunday 22:00`. */
export function describeTiming(t: JobTiming): string {
  if ("everyMinutes" in t) return `every ${t.everyMinutes} min`;
  const at = hhmm(t);
  return t.weekday === undefined ? `daily ${at}` : `${DAY_NAMES[t.weekday]} ${at}`;
}

/**
 * The jobs due in the minute containing `at`, judged on the wall clock in `timeZone` (what
 * node-cron fires at second 0 of that minute). Pure: the trigger is node-cron, the rule is
 * here. Example: 2026-11-23T01:10Z is 09:10 in Asia/Taipei → `smoke`, `smoke_summary`.
 */
export function dueJobs(at: Date, timeZone: string): JobName[] {
  const p = zonedParts(at, timeZone);
  return JOB_NAMES.filter((name) => {
    const t = JOBS[name].timing;
    if ("everyMinutes" in t) return p.minute % t.everyMinutes === 0;
    return (
      p.minute === t.minute &&
      p.hour === t.hour &&
      (t.weekday === undefined || t.weekday === p.weekday)
    );
  });
}

/** The latest slot of `job` at or before `at` (an instant, second 0 of the slot's minute). */
export function slotOf(job: JobName, at: Date, timeZone: string): Date {
  const t = JOBS[job].timing;
  const p = zonedParts(at, timeZone);
  if ("everyMinutes" in t) {
    const back = ((p.minute % t.everyMinutes) * 60 + p.second) * 1000 + at.getMilliseconds();
    return new Date(at.getTime() - back);
  }
  let day = { year: p.year, month: p.month, day: p.day };
  const beforeTime = p.hour * 60 + p.minute < t.hour * 60 + t.minute;
  if (beforeTime) day = addDays(day, -1);
  if (t.weekday !== undefined) {
    const weekday = (p.weekday + (beforeTime ? 6 : 0)) % 7;
    day = addDays(day, -((weekday - t.weekday + 7) % 7));
  }
  return zonedToInstant({ ...day, hour: t.hour, minute: t.minute }, timeZone);
}

/**
 * The period key of the run of `job` for the slot at or before `at`: `smoke:2026-11-23T09:05`
 * for the 5-minute job, `daily:2026-11-23`, `weekly:2026-11-22` (the Sunday) and so on for
 * the others, in local time. Unique in schedule_runs; digests carry it in their dedup keys.
 */
export function periodKey(job: JobName, at: Date, timeZone: string): string {
  const slot = zonedParts(slotOf(job, at, timeZone), timeZone);
  const { periodPrefix, timing } = JOBS[job];
  const suffix = "everyMinutes" in timing ? `${isoDate(slot)}T${hhmm(slot)}` : isoDate(slot);
  return `${periodPrefix}:${suffix}`;
}

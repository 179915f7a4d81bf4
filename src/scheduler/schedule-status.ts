import type { ScheduleRunRow } from "../../db/schema/index.ts";
import { escapeHtml, formatTime } from "../telegram-format.ts";
import type { ScheduleRuns } from "./schedule-runs.ts";
import { describeTiming, JOB_NAMES, JOBS, type JobName } from "./schedule-spec.ts";

/** One job's line in /status: its timing and its latest run, if any. */
export interface ScheduleLine {
  job: JobName;
  label: string;
  timing: string;
  last:
    | Pick<ScheduleRunRow, "scheduledFor" | "startedAt" | "finishedAt" | "outcome" | "detail">
    | undefined;
}

/** The schedules part of /status. `enabled`: whether this replica starts cron triggers. */
export interface ScheduleStatus {
  timeZone: string;
  enabled: boolean;
  jobs: ScheduleLine[];
}

/** Reads the latest run of every job (schedule_runs, all replicas). */
export async function scheduleStatus(
  runs: Pick<ScheduleRuns, "latest">,
  opts: { timeZone: string; enabled: boolean },
): Promise<ScheduleStatus> {
  const latest = await runs.latest();
  return {
    ...opts,
    jobs: JOB_NAMES.map((job) => ({
      job,
      label: JOBS[job].label,
      timing: describeTiming(JOBS[job].timing),
      last: latest.get(job),
    })),
  };
}

const OUTCOME_ICON = { ok: "✅", failed: "❌", running: "⏳" } as const;

/** The /status lines of the schedules (HTML, one line per job). */
export function renderScheduleLines(s: ScheduleStatus): string[] {
  const head = `<b>Schedules</b> (${escapeHtml(s.timeZone)}${s.enabled ? "" : "; cron off on this replica"})`;
  const lines = s.jobs.map((j) => {
    const when = `${escapeHtml(j.label)} (${j.timing})`;
    if (!j.last) return `${when}: never run`;
    const at = formatTime(j.last.startedAt, s.timeZone).slice(5, 16);
    return `${when}: ${OUTCOME_ICON[j.last.outcome]} ${at} ${j.last.outcome}`;
  });
  return [head, ...lines];
}

import type { ScheduleRunRow } from "../../db/schema/index.ts";
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

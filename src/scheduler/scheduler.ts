import cron, { type ScheduledTask } from "node-cron";
import type { ScheduleRunRow } from "../../db/schema/index.ts";
import { coerceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { Clock } from "../types.ts";
import type { ScheduleRuns } from "./schedule-runs.ts";
import {
  cronExpression,
  JOB_NAMES,
  JOBS,
  type JobName,
  periodKey,
  slotOf,
} from "./schedule-spec.ts";

/** What a job handler is given: the slot it runs for and that slot's period key. */
export interface JobContext {
  slot: Date;
  periodKey: string;
}

/** A job's work; resolves to one line saying what it did (stored as the run's detail). */
export type JobHandler = (ctx: JobContext) => Promise<string>;

/** What {@link Scheduler.runJob} did. */
export type JobRunResult =
  | {
      status: "ran";
      periodKey: string;
      run: ScheduleRunRow;
      outcome: "ok" | "failed";
      detail: string;
    }
  /** Another replica, or this one before a restart, has claimed the period. */
  | { status: "claimed"; periodKey: string }
  /** The same job is still running in this process (noOverlap). */
  | { status: "overlap"; periodKey: string };

/** Dependencies of {@link createScheduler}. */
export interface SchedulerDeps {
  runs: Pick<ScheduleRuns, "claim" | "finish">;
  handlers: Record<JobName, JobHandler>;
  clock: Clock;
  logger: Logger;
  metrics: Pick<Metrics, "scheduleRuns">;
  timeZone: string;
  /** `host:pid`, stored with each claimed run. */
  runner: string;
}

/** Runs scheduled jobs: node-cron triggers in production, {@link runJob} anywhere. */
export type Scheduler = ReturnType<typeof createScheduler>;

/**
 * Builds the scheduler. The rule of what is due lives in schedule-spec.ts;
 * node-cron only fires. Each run claims its period first (schedule_runs, unique period key,
 * advisory lock), so a restart or a second replica never repeats a period; a job never
 * overlaps itself in one process (node-cron `noOverlap`, and a guard for direct calls).
 */
export function createScheduler(deps: SchedulerDeps) {
  const log = deps.logger.child({ component: "scheduler" });
  const running = new Map<JobName, Promise<JobRunResult>>();
  const tasks: ScheduledTask[] = [];

  async function execute(name: JobName, key: string, at: Date): Promise<JobRunResult> {
    const slot = slotOf(name, at, deps.timeZone);
    const run = await deps.runs.claim(
      { job: name, periodKey: key, scheduledFor: slot, runner: deps.runner },
      deps.clock.now(),
    );
    if (!run) {
      deps.metrics.scheduleRuns.inc({ job: name, result: "claimed" });
      log.info({ job: name, period: key }, "period already claimed; not running");
      return { status: "claimed", periodKey: key };
    }
    let outcome: "ok" | "failed" = "ok";
    let detail: string;
    try {
      detail = await deps.handlers[name]({ slot, periodKey: key });
    } catch (err) {
      outcome = "failed";
      detail = coerceError(err).message;
      log.error({ job: name, period: key, err: detail }, "scheduled job failed");
    }
    await deps.runs.finish(run.id, outcome, detail, deps.clock.now());
    deps.metrics.scheduleRuns.inc({ job: name, result: outcome });
    log.info({ job: name, period: key, outcome, detail }, "scheduled job finished");
    return { status: "ran", periodKey: key, run, outcome, detail };
  }

  /**
   * Runs `name` for its slot at or before `at` (the cron slot when node-cron fires; any
   * instant in tests): claims the period, runs the handler, records start, end and outcome.
   * A handler's failure is recorded, not thrown; a failing claim (database down) throws.
   */
  async function runJob(name: JobName, at: Date): Promise<JobRunResult> {
    const key = periodKey(name, at, deps.timeZone);
    if (running.has(name)) {
      deps.metrics.scheduleRuns.inc({ job: name, result: "overlap" });
      log.warn({ job: name, period: key }, "still running; this run is skipped (noOverlap)");
      return { status: "overlap", periodKey: key };
    }
    const p = execute(name, key, at);
    running.set(name, p);
    try {
      return await p;
    } finally {
      running.delete(name);
    }
  }

  return {
    runJob,

    /** Starts one node-cron task per job in the report time zone. */
    start(): void {
      if (tasks.length > 0) return;
      for (const name of JOB_NAMES) {
        const task = cron.schedule(
          cronExpression(JOBS[name].timing),
          async (ctx) => {
            await runJob(name, ctx.date).catch((err) =>
              log.error({ job: name, err: coerceError(err).message }, "scheduled job not run"),
            );
          },
          {
            name: `commandpost:${name}`,
            timezone: deps.timeZone,
            noOverlap: true,
            logger: cronLogger(log),
          },
        );
        tasks.push(task);
      }
      log.info({ timeZone: deps.timeZone, jobs: JOB_NAMES.length }, "scheduler started");
    },

    /** Destroys this scheduler's tasks and waits for runs in progress. Idempotent. */
    async stop(): Promise<void> {
      for (const t of tasks.splice(0)) await t.destroy();
      await Promise.allSettled([...running.values()]);
    },

    /** This scheduler's node-cron tasks (tests read their patterns and next runs). */
    tasks(): readonly ScheduledTask[] {
      return tasks;
    },
  };
}

/**
 * node-cron's logger interface routed to pino, for `cron.setLogger` (node-cron v4 logs to the
 * console otherwise).
 */
function cronLogger(log: Logger) {
  return {
    info: (m: string) => log.debug(m),
    warn: (m: string) => log.warn(m),
    error: (m: string | Error, err?: Error) =>
      log.error({ err: coerceError(err ?? m).message }, "node-cron"),
    debug: (m: string | Error) => log.debug(String(m)),
  };
}

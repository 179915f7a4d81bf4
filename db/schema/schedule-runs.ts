import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** States of a scheduled run: claimed and running, then ok or failed. */
export const SCHEDULE_OUTCOMES = ["running", "ok", "failed"] as const;
/** A scheduled run's state. */
export type ScheduleOutcome = (typeof SCHEDULE_OUTCOMES)[number];

/**
 * One run of a scheduled job, claimed before it does anything. `periodKey` is
 * unique (e.g. `daily:2026-11-23`, `smoke:2026-11-23T09:05`): the replica whose insert
 * wins runs the job for that period, so a restart or a second replica never runs (or sends)
 * it twice.
 */
export const scheduleRuns = pgTable(
  "schedule_runs",
  {
    id: text("id").primaryKey(),
    job: text("job").notNull(),
    periodKey: text("period_key").notNull().unique(),
    /** The cron slot this run is for. */
    scheduledFor: timestamp("scheduled_for", { withTimezone: true }).notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    outcome: text("outcome", { enum: SCHEDULE_OUTCOMES }).notNull().default("running"),
    /** One line: what the run did, or why it failed. */
    detail: text("detail"),
    /** `host:pid` of the replica that claimed it. */
    runner: text("runner").notNull(),
  },
  (t) => [index("schedule_runs_job_started_idx").on(t.job, t.startedAt)],
);

export type ScheduleRunRow = typeof scheduleRuns.$inferSelect;

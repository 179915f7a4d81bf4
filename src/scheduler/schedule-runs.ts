import { and, desc, eq, lt, sql } from "drizzle-orm";
import { type Db, rowsOf } from "../../db/client.ts";
import { type ScheduleRunRow, scheduleRuns } from "../../db/schema/index.ts";
import { ulid } from "../ids.ts";
import { cutAt } from "../text-cut.ts";

/** Class (first key) of the advisory locks taken while claiming a period (key 2: its hash). */
const CLAIM_LOCK_CLASS = 7_262_006;

/** A period a replica wants to run. */
export interface ClaimRequest {
  job: string;
  periodKey: string;
  scheduledFor: Date;
  /** `host:pid` of the claiming replica. */
  runner: string;
}

/** The schedule_runs table: claims, outcomes, the latest run of each job, cleanup. */
export type ScheduleRuns = ReturnType<typeof createScheduleRuns>;

/** Builds the schedule-run repository over `db`. */
export function createScheduleRuns(db: Db) {
  return {
    /**
     * Claims a period for this replica: returns the new `running` row, or undefined when
     * another replica holds or already took the period. Inside one transaction it takes
     * `pg_try_advisory_xact_lock(class, hashtext(periodKey))` (a replica that is claiming the
     * same period makes this one give up at once) and inserts the row whose `period_key` is
     * unique (a period claimed before, by anyone, before or after a restart, stays claimed).
     */
    async claim(c: ClaimRequest, now: Date): Promise<ScheduleRunRow | undefined> {
      return db.transaction(async (tx) => {
        const locked = rowsOf(
          await tx.execute(
            sql`select pg_try_advisory_xact_lock(${CLAIM_LOCK_CLASS}, hashtext(${c.periodKey})) as got`,
          ),
        );
        if (locked[0]?.got !== true) return undefined;
        const [row] = await tx
          .insert(scheduleRuns)
          .values({ id: ulid(), ...c, startedAt: now, outcome: "running" })
          .onConflictDoNothing({ target: scheduleRuns.periodKey })
          .returning();
        return row;
      });
    },

    /** Records how a claimed run ended. */
    async finish(id: string, outcome: "ok" | "failed", detail: string, now: Date): Promise<void> {
      await db
        .update(scheduleRuns)
        .set({ outcome, detail: cutAt(detail, 500), finishedAt: now })
        .where(eq(scheduleRuns.id, id));
    },

    /** The latest run of each job (by start), keyed by job name. */
    async latest(): Promise<Map<string, ScheduleRunRow>> {
      const rows = await db
        .selectDistinctOn([scheduleRuns.job])
        .from(scheduleRuns)
        .orderBy(scheduleRuns.job, desc(scheduleRuns.startedAt));
      return new Map(rows.map((r) => [r.job, r]));
    },

    /** Runs of `job`, newest first (tests and the admin view). */
    async ofJob(job: string, limit = 20): Promise<ScheduleRunRow[]> {
      return db
        .select()
        .from(scheduleRuns)
        .where(eq(scheduleRuns.job, job))
        .orderBy(desc(scheduleRuns.startedAt))
        .limit(limit);
    },

    /**
     * Deletes runs started before `cutoff`, except the latest of each job (so /status still
     * shows when a weekly job last ran). Returns how many rows went.
     */
    async deleteBefore(cutoff: Date): Promise<number> {
      const newer = sql`exists (select 1 from schedule_runs n where n.job = schedule_runs.job and n.started_at > schedule_runs.started_at)`;
      const gone = await db
        .delete(scheduleRuns)
        .where(and(lt(scheduleRuns.startedAt, cutoff), newer))
        .returning({ id: scheduleRuns.id });
      return gone.length;
    },
  };
}

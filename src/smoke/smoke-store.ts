import { and, asc, desc, eq, gt, gte, lt, or } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { type SmokeRunRow, smokeRuns } from "../../db/schema/index.ts";
import { distribute, type SmokeDistribution } from "./smoke-stats.ts";

/** Where a history page starts: after this run (keyset on `ran_at`, `id`). */
export interface HistoryCursor {
  ranAt: Date;
  id: string;
}

/** The smoke_runs table: compact history of smoke runs (status per check, no details). */
export type SmokeStore = ReturnType<typeof createSmokeStore>;

/** Builds the smoke history store over `db`. */
export function createSmokeStore(db: Db) {
  return {
    /** Stores one compact run. */
    async insert(run: SmokeRunRow): Promise<void> {
      await db.insert(smokeRuns).values(run);
    },

    /** The newest run, or undefined before the first. */
    async latest(): Promise<SmokeRunRow | undefined> {
      const [row] = await db
        .select()
        .from(smokeRuns)
        .orderBy(desc(smokeRuns.ranAt), desc(smokeRuns.id))
        .limit(1);
      return row;
    },

    /** Runs with `from <= ran_at < to`, oldest first. */
    async between(from: Date, to: Date): Promise<SmokeRunRow[]> {
      return db
        .select()
        .from(smokeRuns)
        .where(and(gte(smokeRuns.ranAt, from), lt(smokeRuns.ranAt, to)))
        .orderBy(asc(smokeRuns.ranAt), asc(smokeRuns.id));
    },

    /** The ok / warning / critical distribution of runs in `[from, to)`. */
    async distribution(from: Date, to: Date): Promise<SmokeDistribution> {
      return distribute(await this.between(from, to));
    },

    /**
     * One page of the export, oldest first: runs from `since` on, after `cursor` when given
     * (keyset pagination, so the NDJSON export streams any history in bounded memory).
     */
    async page(
      since: Date,
      cursor: HistoryCursor | undefined,
      limit: number,
    ): Promise<SmokeRunRow[]> {
      const after = cursor
        ? or(
            gt(smokeRuns.ranAt, cursor.ranAt),
            and(eq(smokeRuns.ranAt, cursor.ranAt), gt(smokeRuns.id, cursor.id)),
          )
        : undefined;
      return db
        .select()
        .from(smokeRuns)
        .where(and(gte(smokeRuns.ranAt, since), after))
        .orderBy(asc(smokeRuns.ranAt), asc(smokeRuns.id))
        .limit(limit);
    },

    /** Deletes runs older than `cutoff` (retention); returns how many went. */
    async deleteBefore(cutoff: Date): Promise<number> {
      const gone = await db
        .delete(smokeRuns)
        .where(lt(smokeRuns.ranAt, cutoff))
        .returning({ id: smokeRuns.id });
      return gone.length;
    },
  };
}

import { and, count, desc, eq, gte, isNotNull, lt, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.ts";
import {
  type TriageResult,
  type TriageRow,
  type TriageSource,
  triages,
} from "../../db/schema/index.ts";
import { columnList, rowCodec, statement } from "../../db/statement.ts";
import { ulid } from "../ids.ts";

/**
 * The finished triages of many alerts, newest first: read by every ingest's redraw, fixed
 * text (db/statement.ts).
 */
const latestOf = statement(
  "triages_latest_of",
  `select ${columnList(triages)} from triages
   where alert_id = any($1::text[]) and finished_at is not null
   order by created_at desc, id desc`,
  rowCodec(triages),
);

/** A triage about to run: what it is about and whether it may call the model. */
export interface NewTriage {
  kind: "alert" | "report";
  alertId?: string | null;
  incidentId?: string | null;
  requestedBy?: string | null;
  /** The model it would call; undefined → rules only, no budget slot. */
  model: string | undefined;
  /** Model calls allowed per rolling hour (`TRIAGE_MAX_PER_HOUR`). */
  maxPerHour: number;
  now: Date;
}

/** Triages in a window, for the reports. */
export interface TriageCounts {
  /** Alert triages finished in the window. */
  alerts: number;
  /** Of those, answered by the model (the rest by the rules). */
  byModel: number;
  /** Model calls made (alert triages and report summaries, answered or not). */
  modelCalls: number;
}

const HOUR_MS = 3_600_000;
/** Serialises budget reservations across connections and replicas. */
const BUDGET_LOCK = sql`select pg_advisory_xact_lock(hashtextextended('triage-budget', 0))`;

/** Rows of `triages`: the hourly model budget, answers, and the latest per alert. */
export type TriageStore = ReturnType<typeof createTriageStore>;

/** Builds the triage store over `db`. */
export function createTriageStore(db: Db) {
  return {
    /**
     * Inserts a running triage. When a model is configured it takes one slot of the hourly
     * budget if one is free (rows with `model_called` in the last hour, counted under a
     * transaction-scoped advisory lock so two replicas never both take the last slot).
     * Returns the row; `modelCalled` says whether the model may be called.
     */
    async begin(t: NewTriage): Promise<TriageRow> {
      return db.transaction(async (tx) => {
        let modelCalled = false;
        if (t.model !== undefined && t.maxPerHour > 0) {
          await tx.execute(BUDGET_LOCK);
          const since = new Date(t.now.getTime() - HOUR_MS);
          const [used] = await tx
            .select({ n: count() })
            .from(triages)
            .where(and(eq(triages.modelCalled, true), gte(triages.createdAt, since)));
          modelCalled = (used?.n ?? 0) < t.maxPerHour;
        }
        const [row] = await tx
          .insert(triages)
          .values({
            id: ulid(),
            kind: t.kind,
            alertId: t.alertId ?? null,
            incidentId: t.incidentId ?? null,
            requestedBy: t.requestedBy ?? null,
            createdAt: t.now,
            modelCalled,
            model: modelCalled ? (t.model ?? null) : null,
          })
          .returning();
        return row as TriageRow;
      });
    },

    /** Stores the answer of triage `id` and where it came from. */
    async finish(
      id: string,
      done: { source: TriageSource; result: TriageResult | null; fallbackReason: string | null },
      now: Date,
      tx: DbOrTx = db,
    ): Promise<TriageRow> {
      const [row] = await tx
        .update(triages)
        .set({ ...done, finishedAt: now })
        .where(eq(triages.id, id))
        .returning();
      return row as TriageRow;
    },

    /** The newest finished triage of alert `alertId`, or undefined. */
    async latestFor(alertId: string, tx: DbOrTx = db): Promise<TriageRow | undefined> {
      const [row] = await tx
        .select()
        .from(triages)
        .where(and(eq(triages.alertId, alertId), isNotNull(triages.finishedAt)))
        .orderBy(desc(triages.createdAt), desc(triages.id))
        .limit(1);
      return row;
    },

    /**
     * {@link latestFor} of many alerts in one read: the newest finished triage of each alert
     * of `alertIds` that has one, keyed by alert id.
     */
    async latestForMany(alertIds: string[], tx: DbOrTx = db): Promise<Map<string, TriageRow>> {
      const found = new Map<string, TriageRow>();
      if (alertIds.length === 0) return found;
      const rows = await latestOf.run(tx, [alertIds]);
      for (const r of rows) if (r.alertId && !found.has(r.alertId)) found.set(r.alertId, r);
      return found;
    },

    /** A triage of alert `alertId` started after `since` and not finished, if any. */
    async runningFor(alertId: string, since: Date): Promise<TriageRow | undefined> {
      const [row] = await db
        .select()
        .from(triages)
        .where(
          and(
            eq(triages.alertId, alertId),
            gte(triages.createdAt, since),
            sql`${triages.finishedAt} is null`,
          ),
        )
        .limit(1);
      return row;
    },

    /** Triage counts of `[from, to)` (by creation time). */
    async counts(from: Date, to: Date): Promise<TriageCounts> {
      const [r] = await db
        .select({
          alerts: sql<number>`count(*) filter (where ${triages.kind} = 'alert' and ${triages.finishedAt} is not null)`,
          byModel: sql<number>`count(*) filter (where ${triages.kind} = 'alert' and ${triages.source} = 'model')`,
          modelCalls: sql<number>`count(*) filter (where ${triages.modelCalled})`,
        })
        .from(triages)
        .where(and(gte(triages.createdAt, from), lt(triages.createdAt, to)));
      return {
        alerts: Number(r?.alerts ?? 0),
        byModel: Number(r?.byModel ?? 0),
        modelCalls: Number(r?.modelCalls ?? 0),
      };
    },
  };
}

import { asc, eq, lte, or } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.ts";
import { type EscalationRow, escalations } from "../../db/schema/index.ts";
import { columnList, insertRowsText, jsonRows, rowCodec, statement } from "../../db/statement.ts";
import type { Route } from "./routes-config.ts";

/** Escalation rows of many alerts: read by every ingest's redraw, fixed text (db/statement.ts). */
const escalationsOf = statement(
  "escalations_of",
  `select ${columnList(escalations)} from escalations where alert_id = any($1::text[])`,
  rowCodec(escalations),
);

/**
 * Arms timers (see `armMany`): a new row per alert, or on an existing one only the next
 * repeat moves. Fixed text (db/statement.ts).
 */
const armRows = statement(
  "escalations_arm",
  insertRowsText(escalations, {
    suffix: "on conflict (alert_id) do update set repeat_at = excluded.repeat_at",
  }),
);

/** The timers an alert's first matching routes give it. */
export interface AlertTimers {
  steps: { afterMs: number; receiver: string }[];
  repeatIntervalMs: number | null;
}

/**
 * The timers of the routes an alert matched: the escalation steps of the first matched route
 * that has any, and the `repeat_interval_s` of the first that sets one (later `continue`
 * routes add chats, not timers).
 */
export function timersOf(routes: readonly (Route | null)[]): AlertTimers {
  const withSteps = routes.find((r) => r && r.escalate.length > 0);
  const withRepeat = routes.find((r) => r && r.repeatIntervalMs !== null);
  return {
    steps: withSteps?.escalate ?? [],
    repeatIntervalMs: withRepeat?.repeatIntervalMs ?? null,
  };
}

/** Escalation and repeat timers of alerts, in the `escalations` table. */
export type EscalationStore = ReturnType<typeof createEscalationStore>;

/** Builds the store. */
export function createEscalationStore(db: Db) {
  return {
    /**
     * Arms the timers of alert `alertId` announced at `now`. The first announcement stores
     * the steps (measured from `now`) and the repeat; a later one (a re-notification) only
     * moves the next repeat to `now + interval`, so an escalation keeps its schedule.
     * Nothing is stored when there is no timer.
     */
    async arm(alertId: string, timers: AlertTimers, now: Date, tx: DbOrTx): Promise<void> {
      await this.armMany([{ alertId, timers }], now, tx);
    },

    /**
     * {@link arm} for many alerts (each at most once) in one statement; alerts without a
     * timer are left out, and nothing is sent when none has one.
     */
    async armMany(
      list: readonly { alertId: string; timers: AlertTimers }[],
      now: Date,
      tx: DbOrTx,
    ): Promise<void> {
      const t = now.getTime();
      const rows: EscalationRow[] = [];
      for (const { alertId, timers } of list) {
        if (timers.steps.length === 0 && timers.repeatIntervalMs === null) continue;
        const first = timers.steps[0];
        rows.push({
          alertId,
          steps: timers.steps,
          nextStep: 0,
          escalateAt: first ? new Date(t + first.afterMs) : null,
          repeatIntervalS:
            timers.repeatIntervalMs === null ? null : Math.round(timers.repeatIntervalMs / 1000),
          repeatAt: timers.repeatIntervalMs === null ? null : new Date(t + timers.repeatIntervalMs),
          escalated: [],
          createdAt: now,
        });
      }
      if (rows.length > 0) await armRows.run(tx, [jsonRows(escalations, rows)]);
    },

    /** The timers row of an alert, if any. */
    async get(alertId: string, tx: DbOrTx = db): Promise<EscalationRow | undefined> {
      const [row] = await tx.select().from(escalations).where(eq(escalations.alertId, alertId));
      return row;
    },

    /** {@link get} of many alerts in one read, keyed by alert id (alerts with a row only). */
    async getMany(alertIds: string[], tx: DbOrTx = db): Promise<Map<string, EscalationRow>> {
      const found = new Map<string, EscalationRow>();
      if (alertIds.length === 0) return found;
      const rows = await escalationsOf.run(tx, [alertIds]);
      for (const r of rows) found.set(r.alertId, r);
      return found;
    },

    /** Locks the row of `alertId` for this transaction; undefined when gone or locked. */
    async lock(alertId: string, tx: DbOrTx): Promise<EscalationRow | undefined> {
      const [row] = await tx
        .select()
        .from(escalations)
        .where(eq(escalations.alertId, alertId))
        .for("update", { skipLocked: true });
      return row;
    },

    /** Alert ids with a timer due at `now`, oldest first, at most `limit`. */
    async due(now: Date, limit = 100): Promise<string[]> {
      const rows = await db
        .select({ alertId: escalations.alertId })
        .from(escalations)
        .where(or(lte(escalations.escalateAt, now), lte(escalations.repeatAt, now)))
        .orderBy(asc(escalations.createdAt))
        .limit(limit);
      return rows.map((r) => r.alertId);
    },

    /** Writes a changed row. */
    async save(row: EscalationRow, tx: DbOrTx): Promise<void> {
      const { alertId, ...rest } = row;
      await tx.update(escalations).set(rest).where(eq(escalations.alertId, alertId));
    },

    /** Stops the timers of `alertId` (acknowledged, resolved, or nothing left). */
    async stop(alertId: string, tx: DbOrTx): Promise<void> {
      await tx.delete(escalations).where(eq(escalations.alertId, alertId));
    },
  };
}

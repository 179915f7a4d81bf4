import { and, desc, eq, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.ts";
import { type AlertRow, alerts } from "../../db/schema/index.ts";

/** Columns that may change on an alert. */
export type AlertChange = Partial<Omit<AlertRow, "id" | "fingerprint">>;

/** The `alertname` and `instance` inhibition compares (DESIGN.md, Routing). */
export interface InhibitionKey {
  alertname: string;
  instance: string;
}

/**
 * Data access for alerts (one row per firing episode of a fingerprint). Every method takes
 * an optional transaction, so an event and its alert change commit together.
 */
export type AlertRepository = ReturnType<typeof createAlertRepository>;

/** Builds the alert repository. */
export function createAlertRepository(db: Db) {
  return {
    /** The firing alert of `fingerprint`, locked until the transaction ends. */
    async firingForUpdate(fingerprint: string, tx: DbOrTx): Promise<AlertRow | undefined> {
      const [row] = await tx
        .select()
        .from(alerts)
        .where(and(eq(alerts.fingerprint, fingerprint), eq(alerts.status, "firing")))
        .for("update");
      return row;
    },

    /** An alert by id, locked until the transaction ends. */
    async getForUpdate(id: string, tx: DbOrTx): Promise<AlertRow | undefined> {
      const [row] = await tx.select().from(alerts).where(eq(alerts.id, id)).for("update");
      return row;
    },

    /** An alert by id. */
    async get(id: string, tx: DbOrTx = db): Promise<AlertRow | undefined> {
      const [row] = await tx.select().from(alerts).where(eq(alerts.id, id));
      return row;
    },

    /** Inserts a new firing alert. */
    async insert(values: typeof alerts.$inferInsert, tx: DbOrTx): Promise<AlertRow> {
      const [row] = await tx.insert(alerts).values(values).returning();
      return row as AlertRow;
    },

    /** Applies `change` to alert `id` and returns the new row. */
    async update(id: string, change: AlertChange, tx: DbOrTx): Promise<AlertRow> {
      const [row] = await tx.update(alerts).set(change).where(eq(alerts.id, id)).returning();
      return row as AlertRow;
    },

    /**
     * A firing critical alert with the same alertname and instance as `key`, if one exists:
     * the source of an inhibition. A missing label compares as the empty string, as in
     * Alertmanager's `equal`.
     */
    async inhibitorFor(key: InhibitionKey, tx: DbOrTx): Promise<AlertRow | undefined> {
      const [row] = await tx
        .select()
        .from(alerts)
        .where(
          and(
            eq(alerts.status, "firing"),
            eq(alerts.severity, "critical"),
            sql`coalesce(${alerts.labels}->>'alertname', ${alerts.type}) = ${key.alertname}`,
            sql`coalesce(${alerts.labels}->>'instance', '') = ${key.instance}`,
          ),
        )
        .limit(1);
      return row;
    },

    /** Alerts linked to an incident, newest first. */
    async forIncident(incidentId: string, tx: DbOrTx = db): Promise<AlertRow[]> {
      return tx
        .select()
        .from(alerts)
        .where(eq(alerts.incidentId, incidentId))
        .orderBy(desc(alerts.startedAt), desc(alerts.id));
    },

    /** Alerts whose message shows mute `muteId`. */
    async withMute(muteId: string, tx: DbOrTx = db): Promise<AlertRow[]> {
      return tx.select().from(alerts).where(eq(alerts.muteId, muteId));
    },
  };
}

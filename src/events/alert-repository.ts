import { createHash } from "node:crypto";
import { desc, eq } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.ts";
import { type AlertRow, alerts } from "../../db/schema/index.ts";
import { columnList, insertRowsText, jsonRows, rowCodec, statement } from "../../db/statement.ts";

/** Columns that may change on an alert. */
export type AlertChange = Partial<Omit<AlertRow, "id" | "fingerprint">>;

/**
 * The `alertname` and `instance` inhibition compares: a firing critical with the same pair
 * inhibits warnings, as Alertmanager's `inhibit_rules` with `equal: [alertname, instance]`.
 */
export interface InhibitionKey {
  alertname: string;
  instance: string;
}

/** The columns an ingest changes on an existing alert (see {@link AlertRepository.updateMany}). */
export type AlertIngestChange = Pick<
  AlertRow,
  "id" | "status" | "resolvedAt" | "lastEventAt" | "eventCount" | "lastNotifiedAt" | "notifications"
>;

/**
 * First key of the transaction advisory locks that stand for fingerprints while an ingest
 * routes them (the second key is {@link fingerprintLockKey}). Other advisory locks of the
 * app use other first keys (replica roles, scheduler periods, migrations).
 */
export const FINGERPRINT_LOCK_CLASS = 7262019;

/**
 * The second advisory-lock key of a fingerprint: the first 4 bytes of its SHA-1 as a signed
 * 32-bit integer. Two fingerprints may share a key (they then serialise; harmless).
 */
export function fingerprintLockKey(fingerprint: string): number {
  return createHash("sha1").update(fingerprint).digest().readInt32BE(0);
}

/** `coalesce(labels->>'alertname', type)` and `coalesce(labels->>'instance', '')` of a row. */
export function inhibitionKeyOf(row: Pick<AlertRow, "labels" | "type">): InhibitionKey {
  return { alertname: row.labels.alertname ?? row.type, instance: row.labels.instance ?? "" };
}

/** The columns of an {@link AlertIngestChange}, and nothing else of the row. */
const ingestChange = (c: AlertIngestChange): AlertIngestChange => ({
  id: c.id,
  status: c.status,
  resolvedAt: c.resolvedAt,
  lastEventAt: c.lastEventAt,
  eventCount: c.eventCount,
  lastNotifiedAt: c.lastNotifiedAt,
  notifications: c.notifications,
});

// The ingest's statements, fixed text (prepared on Postgres: db/statement.ts).
const decodeAlert = rowCodec(alerts);
const ALERT_COLUMNS = columnList(alerts);
/**
 * Takes the fingerprint locks in the order of `$1` (sorted by the caller): `unnest` yields
 * the array's elements in order, and each row's lock is taken as the row is produced.
 */
const lockKeys = statement(
  "lock_fingerprints",
  `select pg_advisory_xact_lock(${FINGERPRINT_LOCK_CLASS}, k) from unnest($1::int[]) as k`,
);
const firingOf = statement(
  "alerts_firing_for_update",
  `select ${ALERT_COLUMNS} from alerts where fingerprint = any($1::text[]) and status = 'firing'
   order by fingerprint for update`,
  decodeAlert,
);
/** `$1`/`$2`: alertnames and instances, pairwise (see {@link inhibitionKeyOf}). */
const inhibitors = statement(
  "alerts_inhibitors",
  `select ${ALERT_COLUMNS} from alerts where status = 'firing' and severity = 'critical'
   and (coalesce(labels->>'alertname', type), coalesce(labels->>'instance', ''))
   in (select a, i from unnest($1::text[], $2::text[]) as k(a, i))`,
  decodeAlert,
);
const insertAlerts = statement("alerts_insert", insertRowsText(alerts));
const updateIngested = statement(
  "alerts_update_ingested",
  `update alerts set status = v.status, resolved_at = v.resolved_at,
   last_event_at = v.last_event_at, event_count = v.event_count,
   last_notified_at = v.last_notified_at, notifications = v.notifications
   from json_to_recordset($1::json) as v(id text, status text, resolved_at timestamptz,
   last_event_at timestamptz, event_count int, last_notified_at timestamptz, notifications int)
   where alerts.id = v.id`,
);

/**
 * Data access for alerts (one row per firing episode of a fingerprint). Every method takes
 * an optional transaction, so an event and its alert change commit together.
 */
export type AlertRepository = ReturnType<typeof createAlertRepository>;

/** Builds the alert repository. */
export function createAlertRepository(
  db: Db,
  opts: {
    /**
     * True when the database runs one transaction at a time (PGlite: its `transaction`
     * holds an exclusive mutex for the whole transaction), so the fingerprint locks can
     * never wait and are not taken.
     */
    oneWriter?: boolean;
  } = {},
) {
  return {
    /**
     * Serialises ingests per fingerprint: takes a transaction advisory lock for each of
     * `fingerprints`, in ascending key order, in one statement. Every ingest takes its locks
     * in that one global order, so overlapping webhooks wait for each other and never
     * deadlock (a lock-order cycle needs two orders); the locks also cover fingerprints with
     * no alert row yet, so two webhooks never race to open the same alert.
     */
    async lockFingerprints(fingerprints: Iterable<string>, tx: DbOrTx): Promise<void> {
      if (opts.oneWriter) return;
      const keys = [...new Set([...fingerprints].map(fingerprintLockKey))].sort((a, b) => a - b);
      if (keys.length > 0) await lockKeys.run(tx, [keys]);
    },

    /**
     * The firing alerts of `fingerprints`, row-locked until the transaction ends (in
     * fingerprint order, so concurrent lockers agree on the order).
     */
    async firingForUpdateMany(fingerprints: string[], tx: DbOrTx): Promise<AlertRow[]> {
      if (fingerprints.length === 0) return [];
      return firingOf.run(tx, [fingerprints]);
    },

    /**
     * Firing critical alerts whose inhibition key ({@link inhibitionKeyOf}: a missing label
     * compares as the empty string, as in Alertmanager's `equal`) is one of `keys`: every
     * possible inhibitor of a batch's warnings, in one read.
     */
    async inhibitorsFor(keys: InhibitionKey[], tx: DbOrTx): Promise<AlertRow[]> {
      if (keys.length === 0) return [];
      return inhibitors.run(tx, [keys.map((k) => k.alertname), keys.map((k) => k.instance)]);
    },

    /** Inserts complete alert rows in one statement. */
    async insertMany(rows: AlertRow[], tx: DbOrTx): Promise<void> {
      if (rows.length > 0) await insertAlerts.run(tx, [jsonRows(alerts, rows)]);
    },

    /** Applies ingest changes to existing alerts, one statement for all of them. */
    async updateMany(changes: AlertIngestChange[], tx: DbOrTx): Promise<void> {
      if (changes.length === 0) return;
      await updateIngested.run(tx, [jsonRows(alerts, changes.map(ingestChange))]);
    },

    /**
     * Stores what an escalation in place changed on existing alerts (severity, name, text,
     * labels, incident; see ./routing.ts): one statement per alert, rare next to
     * {@link updateMany}.
     */
    async raiseMany(rows: AlertRow[], tx: DbOrTx): Promise<void> {
      for (const r of rows) {
        const { severity, type, title, summary, labels, annotations, incidentId } = r;
        await tx
          .update(alerts)
          .set({ severity, type, title, summary, labels, annotations, incidentId })
          .where(eq(alerts.id, r.id));
      }
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

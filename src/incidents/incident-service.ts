import { and, asc, count, desc, eq, gte, inArray, ne, or, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.ts";
import { type AlertRow, alerts, type IncidentRow, incidents } from "../../db/schema/index.ts";
import { columnList, rowCodec, statement } from "../../db/statement.ts";
import { ulid } from "../ids.ts";
import type { Clock } from "../types.ts";
import { resolutionOf } from "./incident-resolution.ts";

// Reads of every ingest, fixed text (prepared on Postgres: db/statement.ts).
const decodeIncident = rowCodec(incidents);
const unresolvedOf = statement(
  "incidents_unresolved_of",
  `select ${columnList(incidents)} from incidents
   where fingerprint = any($1::text[]) and status <> 'resolved'`,
  decodeIncident,
);
const incidentsById = statement(
  "incidents_by_id",
  `select ${columnList(incidents)} from incidents where id = any($1::text[])`,
  decodeIncident,
);

/** `resolved_by` of an incident resolved because every linked alert resolved. */
const AUTO_RESOLVED = "auto (all alerts resolved)";

/** A new incident as {@link IncidentService.newIncident} builds it: all but its `number`. */
export type NewIncident = Omit<IncidentRow, "number">;

/** Incident lifecycle: open → acknowledged → resolved (docs/architecture.md, Terms). */
export type IncidentService = ReturnType<typeof createIncidentService>;

/** Builds the incident service. */
export function createIncidentService({ db, clock }: { db: Db; clock: Clock }) {
  return {
    /**
     * Opens an incident for a critical alert, or returns the open one with the same
     * fingerprint (a refiring alert attaches to it). `symptomKey` (src/triage/symptom.ts) is
     * stored on a new incident for symptom memory.
     */
    async openFor(
      alert: Pick<AlertRow, "fingerprint" | "title" | "severity"> & { symptomKey?: string },
      tx: DbOrTx = db,
    ): Promise<{ incident: IncidentRow; opened: boolean }> {
      const [existing] = await tx
        .select()
        .from(incidents)
        .where(and(eq(incidents.fingerprint, alert.fingerprint), ne(incidents.status, "resolved")))
        .limit(1);
      if (existing) return { incident: existing, opened: false };
      const [incident] = await tx
        .insert(incidents)
        .values({
          id: ulid(),
          title: alert.title,
          severity: alert.severity,
          status: "open",
          fingerprint: alert.fingerprint,
          openedAt: clock.now(),
          symptomKey: alert.symptomKey ?? null,
        })
        .returning();
      return { incident: incident as IncidentRow, opened: true };
    },

    /**
     * The unresolved incident of each of `fingerprints` that has one (what {@link openFor}
     * would attach to), in one read; keyed by fingerprint.
     */
    async unresolvedFor(
      fingerprints: string[],
      tx: DbOrTx = db,
    ): Promise<Map<string, IncidentRow>> {
      const found = new Map<string, IncidentRow>();
      if (fingerprints.length === 0) return found;
      const rows = await unresolvedOf.run(tx, [fingerprints]);
      for (const r of rows) if (!found.has(r.fingerprint)) found.set(r.fingerprint, r);
      return found;
    },

    /**
     * A new open incident for a critical alert, as {@link openFor} would insert it, built in
     * memory (the caller inserts it with {@link insertMany}).
     */
    newIncident(
      alert: Pick<AlertRow, "fingerprint" | "title" | "severity"> & { symptomKey?: string },
    ): NewIncident {
      return {
        id: ulid(),
        title: alert.title,
        severity: alert.severity,
        status: "open",
        fingerprint: alert.fingerprint,
        openedAt: clock.now(),
        acknowledgedBy: null,
        acknowledgedAt: null,
        resolvedBy: null,
        resolvedAt: null,
        symptomKey: alert.symptomKey ?? null,
        resolution: null,
      };
    },

    /**
     * Inserts incident rows from {@link newIncident} in one statement (each gets its
     * `number` from the identity sequence).
     */
    async insertMany(rows: NewIncident[], tx: DbOrTx = db): Promise<void> {
      if (rows.length > 0) await tx.insert(incidents).values(rows);
    },

    /** Marks an open incident acknowledged by `who`; no change when it is not open. */
    async acknowledge(id: string, who: string, tx: DbOrTx = db): Promise<IncidentRow | undefined> {
      await tx
        .update(incidents)
        .set({ status: "acknowledged", acknowledgedBy: who, acknowledgedAt: clock.now() })
        .where(and(eq(incidents.id, id), eq(incidents.status, "open")));
      return this.get(id, tx);
    },

    /**
     * Resolves an unresolved incident by hand for `who`. Returns the row when it changed,
     * undefined when it was already resolved or does not exist.
     */
    async resolve(id: string, who: string, tx: DbOrTx = db): Promise<IncidentRow | undefined> {
      const resolution = await resolutionOf(id, who, false, tx);
      const [row] = await tx
        .update(incidents)
        .set({ status: "resolved", resolvedBy: who, resolvedAt: clock.now(), resolution })
        .where(and(eq(incidents.id, id), ne(incidents.status, "resolved")))
        .returning();
      return row;
    },

    /**
     * One page of the /incidents list: unresolved incidents first (newest first), then those
     * resolved since `resolvedSince`. Returns the rows and the total count of the list.
     */
    async page(opts: {
      offset: number;
      limit: number;
      resolvedSince: Date;
    }): Promise<{ rows: IncidentRow[]; total: number }> {
      const listed = or(
        ne(incidents.status, "resolved"),
        gte(incidents.resolvedAt, opts.resolvedSince),
      );
      const rows = await db
        .select()
        .from(incidents)
        .where(listed)
        .orderBy(
          asc(sql`case when ${incidents.status} = 'resolved' then 1 else 0 end`),
          desc(incidents.openedAt),
          desc(incidents.id),
        )
        .offset(opts.offset)
        .limit(opts.limit);
      const [total] = await db.select({ n: count() }).from(incidents).where(listed);
      return { rows, total: total?.n ?? 0 };
    },

    /** Resolves the incident when every linked alert has resolved. Returns it when it did. */
    async resolveIfAllResolved(id: string, tx: DbOrTx = db): Promise<IncidentRow | undefined> {
      const firing = await tx
        .select({ id: alerts.id })
        .from(alerts)
        .where(and(eq(alerts.incidentId, id), eq(alerts.status, "firing")))
        .limit(1);
      if (firing.length > 0) return undefined;
      const resolution = await resolutionOf(id, AUTO_RESOLVED, true, tx);
      const [row] = await tx
        .update(incidents)
        .set({ status: "resolved", resolvedBy: AUTO_RESOLVED, resolvedAt: clock.now(), resolution })
        .where(and(eq(incidents.id, id), ne(incidents.status, "resolved")))
        .returning();
      return row;
    },

    /** Incidents by id, in one read (missing ids are left out). */
    async getMany(ids: string[], tx: DbOrTx = db): Promise<IncidentRow[]> {
      if (ids.length === 0) return [];
      return incidentsById.run(tx, [ids]);
    },

    /** One incident. */
    async get(id: string, tx: DbOrTx = db): Promise<IncidentRow | undefined> {
      const [row] = await tx.select().from(incidents).where(eq(incidents.id, id));
      return row;
    },

    /** Counts of unresolved incidents by status. */
    async countOpen(): Promise<{ open: number; acknowledged: number }> {
      const rows = await db
        .select({ status: incidents.status })
        .from(incidents)
        .where(inArray(incidents.status, ["open", "acknowledged"]));
      return {
        open: rows.filter((r) => r.status === "open").length,
        acknowledged: rows.filter((r) => r.status === "acknowledged").length,
      };
    },

    /** Open (not yet acknowledged) incidents, oldest first, at most `limit`. */
    async unacknowledged(limit: number): Promise<IncidentRow[]> {
      return db
        .select()
        .from(incidents)
        .where(eq(incidents.status, "open"))
        .orderBy(asc(incidents.openedAt), asc(incidents.id))
        .limit(limit);
    },

    /** Most recent incidents, newest first. */
    async recent(limit: number): Promise<IncidentRow[]> {
      return db.select().from(incidents).orderBy(desc(incidents.openedAt)).limit(limit);
    },
  };
}

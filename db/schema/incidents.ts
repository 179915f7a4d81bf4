import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { SEVERITIES } from "./events.ts";

/** Incident lifecycle states, in order. */
export const INCIDENT_STATUSES = ["open", "acknowledged", "resolved"] as const;

/**
 * How an incident ended, kept for symptom memory ("seen N times, last fixed by …"): who
 * resolved it, how (`by_hand`, `auto` when every alert resolved, `heal_plan` when the last
 * plan run for it succeeded) and that plan.
 */
export interface IncidentResolution {
  by: string;
  how: "by_hand" | "auto" | "heal_plan";
  plan?: { id: string; kind: string; target: string; status: string; decidedBy: string | null };
}

/** An incident, opened by a critical alert: open → acknowledged → resolved. */
export const incidents = pgTable(
  "incidents",
  {
    id: text("id").primaryKey(),
    /**
     * Short sequential number people can say aloud (`#17`), from an identity sequence: unique,
     * increasing, never reused (a rolled-back insert leaves a gap).
     */
    number: integer("number").notNull().generatedByDefaultAsIdentity(),
    title: text("title").notNull(),
    severity: text("severity", { enum: SEVERITIES }).notNull(),
    status: text("status", { enum: INCIDENT_STATUSES }).notNull(),
    fingerprint: text("fingerprint").notNull(),
    openedAt: timestamp("opened_at", { withTimezone: true }).notNull(),
    acknowledgedBy: text("acknowledged_by"),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
    resolvedBy: text("resolved_by"),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    /**
     * What the incident is a case of: `alertname|service|error class` (src/triage/symptom.ts).
     * Incidents with the same key are "seen before"; null for incidents opened before keys.
     */
    symptomKey: text("symptom_key"),
    resolution: jsonb("resolution").$type<IncidentResolution>(),
  },
  (t) => [
    index("incidents_status_idx").on(t.status),
    uniqueIndex("incidents_number_uq").on(t.number),
    index("incidents_symptom_idx").on(t.symptomKey, t.openedAt),
    // The unresolved incident of a fingerprint, read by every ingest of criticals.
    index("incidents_unresolved_fingerprint_idx")
      .on(t.fingerprint)
      .where(sql`status <> 'resolved'`),
  ],
);

export type IncidentRow = typeof incidents.$inferSelect;

import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { SEVERITIES } from "./events.ts";

/** Incident lifecycle states, in order. */
export const INCIDENT_STATUSES = ["open", "acknowledged", "resolved"] as const;

/** An incident, opened by a critical alert (DESIGN.md, Incidents). */
export const incidents = pgTable(
  "incidents",
  {
    id: text("id").primaryKey(),
    title: text("title").notNull(),
    severity: text("severity", { enum: SEVERITIES }).notNull(),
    status: text("status", { enum: INCIDENT_STATUSES }).notNull(),
    fingerprint: text("fingerprint").notNull(),
    openedAt: timestamp("opened_at", { withTimezone: true }).notNull(),
    acknowledgedBy: text("acknowledged_by"),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
    resolvedBy: text("resolved_by"),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
  },
  (t) => [index("incidents_status_idx").on(t.status)],
);

export type IncidentRow = typeof incidents.$inferSelect;

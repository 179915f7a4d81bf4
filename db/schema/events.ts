import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/** Severity values, as Alertmanager's `severity` label uses them. */
export const SEVERITIES = ["critical", "warning", "info"] as const;
/** Status values as Alertmanager reports them. */
export const EVENT_STATUSES = ["firing", "resolved"] as const;
/** What the router did with an event. */
export const OUTCOMES = ["notified", "deduplicated", "inhibited", "muted", "recorded"] as const;

/** Every ingested event, whatever happened to it. */
export const events = pgTable(
  "events",
  {
    id: text("id").primaryKey(),
    source: text("source").notNull(),
    type: text("type").notNull(),
    severity: text("severity", { enum: SEVERITIES }).notNull(),
    status: text("status", { enum: EVENT_STATUSES }).notNull(),
    title: text("title").notNull(),
    summary: text("summary").notNull().default(""),
    labels: jsonb("labels").$type<Record<string, string>>().notNull(),
    annotations: jsonb("annotations").$type<Record<string, string>>().notNull().default({}),
    fingerprint: text("fingerprint").notNull(),
    generatorUrl: text("generator_url"),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull(),
    outcome: text("outcome", { enum: OUTCOMES }).notNull(),
    alertId: text("alert_id"),
    /** The mute that silenced this event (outcome `muted`). */
    muteId: text("mute_id"),
  },
  (t) => [
    index("events_fingerprint_idx").on(t.fingerprint),
    index("events_received_idx").on(t.receivedAt),
    index("events_outcome_received_idx").on(t.outcome, t.receivedAt),
  ],
);

/**
 * Notification state of one fingerprint while it fires: the message it produced, how often
 * it repeated, who acknowledged it. A fingerprint has at most one firing alert.
 */
export const alerts = pgTable(
  "alerts",
  {
    id: text("id").primaryKey(),
    fingerprint: text("fingerprint").notNull(),
    source: text("source").notNull(),
    type: text("type").notNull(),
    severity: text("severity", { enum: SEVERITIES }).notNull(),
    status: text("status", { enum: EVENT_STATUSES }).notNull(),
    title: text("title").notNull(),
    summary: text("summary").notNull().default(""),
    labels: jsonb("labels").$type<Record<string, string>>().notNull(),
    generatorUrl: text("generator_url"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    lastEventAt: timestamp("last_event_at", { withTimezone: true }).notNull(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    eventCount: integer("event_count").notNull().default(1),
    /** When the last message about this alert was queued (dedup window start). */
    lastNotifiedAt: timestamp("last_notified_at", { withTimezone: true }),
    /** Messages queued for this firing episode: 1, plus one per re-notification. */
    notifications: integer("notifications").notNull().default(1),
    acknowledgedBy: text("acknowledged_by"),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
    incidentId: text("incident_id"),
    /** Who resolved it by hand (null when the source resolved it). */
    resolvedBy: text("resolved_by"),
    /** The mute created from this alert's buttons, shown on its message. */
    muteId: text("mute_id"),
    /** Annotations of the event that opened it (description, runbook_url, dashboard_url). */
    annotations: jsonb("annotations").$type<Record<string, string>>().notNull().default({}),
    /** Alertmanager's `externalURL` from the webhook, for the silence link. */
    externalUrl: text("external_url"),
    /** Alerts Alertmanager left out of the webhook that carried this one (`truncatedAlerts`). */
    truncatedAlerts: integer("truncated_alerts").notNull().default(0),
    /** The group whose one message tells about this alert (`alert_groups`), or null. */
    groupId: text("group_id"),
  },
  (t) => [
    index("alerts_incident_idx").on(t.incidentId),
    index("alerts_group_idx").on(t.groupId),
    uniqueIndex("alerts_firing_fingerprint_uq").on(t.fingerprint).where(sql`status = 'firing'`),
    // The inhibitor read of every ingest (src/events/alert-repository.ts): firing criticals
    // by the pair Alertmanager's `equal: [alertname, instance]` compares.
    index("alerts_inhibitor_idx")
      .on(
        sql`coalesce(${t.labels}->>'alertname', ${t.type})`,
        sql`coalesce(${t.labels}->>'instance', '')`,
      )
      .where(sql`status = 'firing' and severity = 'critical'`),
  ],
);

export type EventRow = typeof events.$inferSelect;
export type AlertRow = typeof alerts.$inferSelect;

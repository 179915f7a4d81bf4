import { index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Matcher operators, as in Alertmanager silences. */
export const MATCHER_OPS = ["=", "!=", "=~", "!~"] as const;

/** One label matcher of a mute: `name op value` (regex values are anchored when evaluated). */
export interface Matcher {
  name: string;
  op: (typeof MATCHER_OPS)[number];
  value: string;
}

/**
 * A mute (Alertmanager calls it a silence): events whose labels satisfy every matcher
 * between `startsAt` and `endsAt` are stored but not delivered (docs/operations.md). Lifting a
 * mute early sets `liftedAt`; rows are kept for the audit trail.
 */
export const mutes = pgTable(
  "mutes",
  {
    id: text("id").primaryKey(),
    matchers: jsonb("matchers").$type<Matcher[]>().notNull(),
    startsAt: timestamp("starts_at", { withTimezone: true }).notNull(),
    endsAt: timestamp("ends_at", { withTimezone: true }).notNull(),
    createdBy: text("created_by").notNull(),
    reason: text("reason").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    /** The alert whose button created this mute, if any. */
    alertId: text("alert_id"),
    liftedAt: timestamp("lifted_at", { withTimezone: true }),
    liftedBy: text("lifted_by"),
    /** The Alertmanager silence made for this mute (`ALERTMANAGER_URL`), if one was. */
    silenceId: text("silence_id"),
  },
  (t) => [index("mutes_ends_idx").on(t.endsAt)],
);

/** A mute as stored. */
export type MuteRow = typeof mutes.$inferSelect;

import { index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** One escalation step as stored: after `afterMs` unacknowledged, tell `receiver`. */
export interface StoredEscalationStep {
  afterMs: number;
  receiver: string;
}

/** One escalation that happened: to which receiver, when. */
export interface EscalationDone {
  receiver: string;
  at: string;
}

/**
 * Timers of one firing alert whose route escalates or repeats (src/notifications/escalations.ts).
 * The steps are copied from the route when the alert is first announced, so a restart or a
 * config reload does not change a running escalation. The row is deleted once the alert is
 * acknowledged or resolved, or has no timer left.
 */
export const escalations = pgTable(
  "escalations",
  {
    alertId: text("alert_id").primaryKey(),
    steps: jsonb("steps").$type<StoredEscalationStep[]>().notNull(),
    /** Index in `steps` of the next escalation. */
    nextStep: integer("next_step").notNull().default(0),
    /** When the next step is due, or null when none is left. */
    escalateAt: timestamp("escalate_at", { withTimezone: true }),
    /** Re-announcement period in seconds (`repeat_interval_s`), or null. */
    repeatIntervalS: integer("repeat_interval_s"),
    /** When the next re-announcement is due, or null. */
    repeatAt: timestamp("repeat_at", { withTimezone: true }),
    /** The steps taken so far, shown on the alert's messages. */
    escalated: jsonb("escalated").$type<EscalationDone[]>().notNull().default([]),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    index("escalations_escalate_at_idx").on(t.escalateAt),
    index("escalations_repeat_at_idx").on(t.repeatAt),
  ],
);

/** An escalation row as stored. */
export type EscalationRow = typeof escalations.$inferSelect;

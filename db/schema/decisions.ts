import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * What a person decided. These five are the human decisions the autonomy index counts
 * (docs/triage.md, "Autonomy index"): acknowledging, resolving or muting an alert, and
 * approving or rejecting a heal plan.
 */
export const DECISION_ACTIONS = [
  "acknowledge",
  "resolve",
  "mute",
  "heal_approve",
  "heal_reject",
] as const;
/** A human decision's action. */
export type DecisionAction = (typeof DECISION_ACTIONS)[number];

/**
 * One decision a person made, written in the same transaction as the change it made (the
 * acknowledgement, the mute, the plan's decision). Automatic changes (an incident resolved
 * because its alerts resolved, a plan that expired) are never rows here. The links say what
 * the decision was about; a decision counts for the events of its alert and its incident.
 */
export const humanDecisions = pgTable(
  "human_decisions",
  {
    id: text("id").primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    /** The person, as the bot names them: `Ada (@ada, 42)`. */
    actor: text("actor").notNull(),
    action: text("action", { enum: DECISION_ACTIONS }).notNull(),
    alertId: text("alert_id"),
    incidentId: text("incident_id"),
    planId: text("plan_id"),
    muteId: text("mute_id"),
  },
  (t) => [
    index("human_decisions_at_idx").on(t.at),
    index("human_decisions_alert_idx").on(t.alertId),
    index("human_decisions_incident_idx").on(t.incidentId),
  ],
);

/** A human decision as stored. */
export type HumanDecisionRow = typeof humanDecisions.$inferSelect;

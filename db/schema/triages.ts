import { boolean, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** What a triage row is about: an alert, or the summary that opens a report. */
export const TRIAGE_KINDS = ["alert", "report"] as const;
/** Where a triage's answer came from: the model through the proxy, or the rules fallback. */
export const TRIAGE_SOURCES = ["model", "rules"] as const;
/** A triage source. */
export type TriageSource = (typeof TRIAGE_SOURCES)[number];

/**
 * The answer a triage shows (src/triage/triage-schema.ts validates the model's; the rules
 * build one the same shape). `confidence` is 0..1 from the model, null from the rules.
 * `suggestedTemplate` is only ever the name of a configured heal template that applies to
 * the alert; anything else the model named is dropped and `ignoredSuggestion` set.
 */
export interface TriageResult {
  summary: string;
  likelyCauses: string[];
  nextSteps: string[];
  suggestedTemplate: string | null;
  confidence: number | null;
  /** The model named a template that is not configured for the alert; it was dropped. */
  ignoredSuggestion?: boolean;
  /** Symptom memory at triage time: "Seen 3 times; last fixed by …" (plain text). */
  history?: string;
}

/**
 * One triage: an alert's (automatic for a new critical incident, or an admin's "Triage"
 * press) or a report summary's. The row is written before the model is called, with
 * `modelCalled` saying whether it took a slot of the hourly budget (`TRIAGE_MAX_PER_HOUR`
 * counts these rows), and finished with the answer and its source.
 */
export const triages = pgTable(
  "triages",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: TRIAGE_KINDS }).notNull(),
    alertId: text("alert_id"),
    incidentId: text("incident_id"),
    /** The admin who pressed "Triage"; null when automatic. */
    requestedBy: text("requested_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    modelCalled: boolean("model_called").notNull().default(false),
    /** The canonical model asked (`TRIAGE_MODEL`), when it was. */
    model: text("model"),
    source: text("source", { enum: TRIAGE_SOURCES }),
    /** Why the rules answered: no model, budget, all backends exhausted, timeout, refusal… */
    fallbackReason: text("fallback_reason"),
    result: jsonb("result").$type<TriageResult>(),
  },
  (t) => [
    index("triages_alert_idx").on(t.alertId, t.createdAt),
    index("triages_created_idx").on(t.createdAt),
  ],
);

/** A triage row as stored. */
export type TriageRow = typeof triages.$inferSelect;

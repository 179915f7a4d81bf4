import { index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** What a smoke check can say; `skipped`: not configured, counted nowhere. */
export const SMOKE_STATUSES = ["ok", "warning", "critical", "skipped"] as const;
/** One smoke check's status. */
export type SmokeStatus = (typeof SMOKE_STATUSES)[number];

/** What started a smoke run. */
export const SMOKE_TRIGGERS = ["schedule", "command"] as const;

/**
 * One smoke run, stored compactly (history keeps a compact record only, never the
 * full details): the status of each check by name, the worst of them and how long it took.
 * Detail lines are shown once and not kept.
 */
export const smokeRuns = pgTable(
  "smoke_runs",
  {
    id: text("id").primaryKey(),
    ranAt: timestamp("ran_at", { withTimezone: true }).notNull(),
    trigger: text("trigger", { enum: SMOKE_TRIGGERS }).notNull(),
    /** Worst status among the checks that ran (`skipped` ones do not count). */
    overall: text("overall", { enum: ["ok", "warning", "critical"] }).notNull(),
    /** Check name → status, e.g. `{ "database": "ok", "heal_plans": "skipped" }`. */
    checks: jsonb("checks").$type<Record<string, SmokeStatus>>().notNull(),
    durationMs: integer("duration_ms").notNull(),
  },
  (t) => [index("smoke_runs_ran_at_idx").on(t.ranAt)],
);

export type SmokeRunRow = typeof smokeRuns.$inferSelect;

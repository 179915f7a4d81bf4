import {
  bigint,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/**
 * Proxy usage per backend × canonical model × agent × hour (docs/architecture.md, The path of a proxy request). Rows are
 * upserted by the usage flusher, adding to what is there; `latencyBuckets` counts requests
 * per bucket of src/proxy/usage.ts LATENCY_BUCKETS_MS (for p95).
 */
export const usageHourly = pgTable(
  "usage_hourly",
  {
    backendId: text("backend_id").notNull(),
    /** The backend's name when the row was written (kept after the backend is deleted). */
    backendName: text("backend_name").notNull(),
    model: text("model").notNull(),
    agent: text("agent").notNull(),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    requests: integer("requests").notNull(),
    errors: integer("errors").notNull(),
    promptTokens: bigint("prompt_tokens", { mode: "number" }).notNull(),
    completionTokens: bigint("completion_tokens", { mode: "number" }).notNull(),
    costUsd: doublePrecision("cost_usd").notNull(),
    latencyMsSum: doublePrecision("latency_ms_sum").notNull(),
    latencyBuckets: integer("latency_buckets").array().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.backendId, t.model, t.agent, t.hour] }),
    index("usage_hour_idx").on(t.hour),
  ],
);

/** One 429 cooldown of a backend (every cooldown is an event row). */
export const cooldownEvents = pgTable(
  "cooldown_events",
  {
    id: text("id").primaryKey(),
    backendId: text("backend_id").notNull(),
    backendName: text("backend_name").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    endsAt: timestamp("ends_at", { withTimezone: true }).notNull(),
    /** Consecutive 429s that led to it (n in base·2^(n−1)). */
    strike: integer("strike").notNull(),
    retryAfterS: doublePrecision("retry_after_s"),
    reason: text("reason").notNull(),
    clearedAt: timestamp("cleared_at", { withTimezone: true }),
    clearedBy: text("cleared_by"),
  },
  (t) => [index("cooldown_events_started_idx").on(t.startedAt)],
);

export type UsageRow = typeof usageHourly.$inferSelect;
export type CooldownEventRow = typeof cooldownEvents.$inferSelect;

import {
  boolean,
  doublePrecision,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/** An upstream LLM provider endpoint (DESIGN.md, Proxy). The API key is AES-256-GCM sealed. */
export const backends = pgTable("backends", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  label: text("label").notNull().default(""),
  baseUrl: text("base_url").notNull(),
  /** `v1.<iv>.<tag>.<ciphertext>` base64url, see src/proxy/key-crypto.ts. */
  apiKeyEnc: text("api_key_enc").notNull(),
  /** Masked form for display, e.g. `nvapi-…wxyz`; computed once at write time. */
  apiKeyHint: text("api_key_hint").notNull(),
  pool: text("pool", { enum: ["primary", "fallback"] }).notNull(),
  enabled: boolean("enabled").notNull().default(true),
  rpmLimit: integer("rpm_limit").notNull(),
  timeoutMs: integer("timeout_ms").notNull(),
  state: text("state", { enum: ["healthy", "degraded", "down"] })
    .notNull()
    .default("healthy"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
});

/** Canonical model name → the backend's native id and its prices (USD per token). */
export const backendModels = pgTable(
  "backend_models",
  {
    backendId: text("backend_id")
      .notNull()
      .references(() => backends.id, { onDelete: "cascade" }),
    canonical: text("canonical").notNull(),
    native: text("native").notNull(),
    inputCostPerToken: doublePrecision("input_cost_per_token").notNull().default(0),
    outputCostPerToken: doublePrecision("output_cost_per_token").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.backendId, t.canonical] })],
);

export type BackendRow = typeof backends.$inferSelect;
export type BackendModelRow = typeof backendModels.$inferSelect;

import {
  boolean,
  doublePrecision,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/**
 * The OpenAI APIs a backend may serve. Chat completions, completions and embeddings are what
 * every OpenAI-compatible provider offers, so a backend serves them unless told otherwise; the
 * Responses API (https://platform.openai.com/docs/api-reference/responses) is served by fewer
 * providers and is switched on per backend.
 */
export const PROXY_APIS = ["chat_completions", "completions", "embeddings", "responses"] as const;

/** What a backend serves when its `apis` are not given. */
export const DEFAULT_APIS = ["chat_completions", "completions", "embeddings"] as const;

/** An upstream LLM provider endpoint (README, Proxy). The API key is AES-256-GCM sealed. */
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
  /** OpenAI APIs the backend serves; `responses` is opt-in. */
  apis: text("apis", { enum: PROXY_APIS })
    .array()
    .notNull()
    .default([...DEFAULT_APIS]),
  /**
   * Whether the proxy adds `stream_options.include_usage` to streamed chat and completion
   * requests; off for providers that reject unknown fields (then usage is only known when
   * the client asked for it).
   */
  injectStreamUsage: boolean("inject_stream_usage").notNull().default(true),
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

import { z } from "zod";
import { DEFAULT_APIS, PROXY_APIS } from "../../db/schema/index.ts";
import { POOLS } from "../types.ts";

/** A model mapping as the admin API takes it (USD per token). */
export const modelMappingSchema = z.object({
  canonical: z.string().trim().min(1).max(200),
  native: z.string().trim().min(1).max(200),
  input_cost_per_token: z.number().min(0).max(1).default(0),
  output_cost_per_token: z.number().min(0).max(1).default(0),
});

const httpUrl = z
  .url({ protocol: /^https?$/, message: "expected an http(s) URL" })
  .transform((u) => u.replace(/\/+$/, ""));

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "1-63 characters: letters, digits, . _ -");
const models = z
  .array(modelMappingSchema)
  .min(1, "at least one model mapping")
  .refine((ms) => new Set(ms.map((m) => m.canonical)).size === ms.length, "canonical names repeat");

/** Fields of a backend as the admin API names them; no defaults (see the two schemas below). */
const backendFields = {
  name,
  label: z.string().max(200),
  base_url: httpUrl,
  api_key: z.string().min(1).max(4096),
  pool: z.enum(POOLS),
  rpm_limit: z.number().int().min(1).max(1_000_000),
  timeout_ms: z.number().int().min(100).max(600_000),
  enabled: z.boolean(),
  models,
  /** OpenAI APIs served; at least one, no repeats. */
  apis: z
    .array(z.enum(PROXY_APIS))
    .min(1, "at least one API")
    .refine((as) => new Set(as).size === as.length, "APIs repeat"),
  /** Add `stream_options.include_usage` to streamed requests (off for strict providers). */
  inject_stream_usage: z.boolean(),
};

/**
 * `POST /api/admin/backends` body. Defaults: RPM 60, 120 s, the chat, completion and
 * embedding APIs, usage injection on.
 */
export const backendCreateSchema = z.object({
  ...backendFields,
  label: backendFields.label.default(""),
  rpm_limit: backendFields.rpm_limit.default(60),
  timeout_ms: backendFields.timeout_ms.default(120_000),
  enabled: backendFields.enabled.default(true),
  apis: backendFields.apis.default([...DEFAULT_APIS]),
  inject_stream_usage: backendFields.inject_stream_usage.default(true),
});

/** `PATCH /api/admin/backends/:id` body: any non-empty subset of the fields. */
export const backendPatchSchema = z
  .object(backendFields)
  .partial()
  .refine((p) => Object.keys(p).length > 0, "empty patch");

export type BackendCreate = z.output<typeof backendCreateSchema>;
export type BackendPatch = z.output<typeof backendPatchSchema>;
export type ModelMapping = z.output<typeof modelMappingSchema>;

import { z } from "zod";

/** Environment variables of AI triage, spread into the config schema (src/config.ts). */
export const triageEnvShape = {
  /**
   * Canonical model (as served by the proxy's backends, `GET /v1/models`) that triages
   * incidents and writes report summaries. Unset: every triage is built by the rules.
   */
  TRIAGE_MODEL: z.string().trim().min(1).max(200).optional(),
  /** Seconds one model call may take before the rules answer instead. */
  TRIAGE_TIMEOUT_S: z.coerce.number().int().min(1).max(600).default(20),
  /** Model calls (triages and report summaries) per rolling hour; the rest use the rules. */
  TRIAGE_MAX_PER_HOUR: z.coerce.number().int().min(0).max(10_000).default(20),
};

/** Triage settings of the Config. */
export interface TriageSettings {
  /** `TRIAGE_MODEL`, or undefined: rules only. */
  model: string | undefined;
  /** `TRIAGE_TIMEOUT_S` in ms. */
  timeoutMs: number;
  /** `TRIAGE_MAX_PER_HOUR`. */
  maxPerHour: number;
}

type TriageEnv = z.infer<z.ZodObject<typeof triageEnvShape>>;

/** Builds the triage settings from parsed variables. */
export function triageSettings(e: TriageEnv): TriageSettings {
  return {
    model: e.TRIAGE_MODEL,
    timeoutMs: e.TRIAGE_TIMEOUT_S * 1000,
    maxPerHour: e.TRIAGE_MAX_PER_HOUR,
  };
}

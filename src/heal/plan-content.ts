import { createHash } from "node:crypto";
import { z } from "zod";
import { HEAL_KINDS, HEAL_RISKS, type HealKind } from "../../db/schema/index.ts";

/** Default time a plan waits for a decision: 30 min, in ms (`expires_in_s` overrides it). */
export const DEFAULT_PLAN_EXPIRY_MS = 30 * 60 * 1000;

/** Characters a target may hold: it becomes one argv element, never shell text. */
export const TARGET_RE = /^[A-Za-z0-9._/@:-]+$/;

/**
 * Body of `POST /api/heal-plans`. `expires_in_s` (1 s – 24 h) overrides
 * the 30-minute default. For `code_fix` the target is a repository-relative file path; for
 * the other kinds it is the resource the allowlisted command acts on.
 */
export const proposalSchema = z.object({
  kind: z.enum(HEAL_KINDS),
  target: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(TARGET_RE, "letters, digits and . _ / @ : - only"),
  rationale: z.string().trim().min(1).max(2000),
  proposed_by: z.string().trim().min(1).max(100),
  risk: z.enum(HEAL_RISKS),
  incident_id: z.string().trim().min(1).max(40).optional(),
  expires_in_s: z.coerce.number().int().min(1).max(86_400).optional(),
});

/** A validated proposal. */
export type Proposal = z.output<typeof proposalSchema>;

/** The canonical content a decision is bound to. */
export interface PlanContent {
  kind: HealKind;
  target: string;
  rationale: string;
  risk: string;
}

/**
 * sha256 (hex) of the canonical plan content: the fields in a fixed order, JSON-encoded.
 * An approval names this hash, so a changed plan needs a new decision.
 */
export function contentHash(c: PlanContent): string {
  const canonical = JSON.stringify([c.kind, c.target, c.rationale, c.risk]);
  return createHash("sha256").update(canonical).digest("hex");
}

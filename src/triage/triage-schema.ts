import { z } from "zod";
import type { TriageResult } from "../../db/schema/index.ts";

/** Longest summary kept (characters); longer answers are cut, not refused. */
export const MAX_SUMMARY = 400;
/** Longest cause or step kept (characters). */
export const MAX_ITEM = 200;
/** Causes and steps kept; the rest are dropped. */
export const MAX_CAUSES = 3;
export const MAX_STEPS = 4;

/** Cuts `s` (whitespace folded to single spaces) to `max` characters, marking the cut. */
export function clip(s: string, max: number): string {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

const item = z
  .string()
  .transform((s) => clip(s, MAX_ITEM))
  .pipe(z.string().min(1));

/**
 * The triage answer the model must give (validated with zod; types are strict, lengths are
 * cut). Unknown keys are dropped, so nothing the model adds (a "plan", an "approve" flag)
 * survives validation.
 */
export const triageAnswerSchema = z.object({
  summary: z
    .string()
    .transform((s) => clip(s, MAX_SUMMARY))
    .pipe(z.string().min(1, "empty summary")),
  likely_causes: z.array(item).transform((a) => a.slice(0, MAX_CAUSES)),
  next_steps: z.array(item).transform((a) => a.slice(0, MAX_STEPS)),
  suggested_template: z.string().max(200).nullable(),
  confidence: z.number().min(0).max(1),
});

/** A validated triage answer. */
export type TriageAnswer = z.output<typeof triageAnswerSchema>;

/**
 * The `response_format` of a triage request: OpenAI's Structured Outputs (`json_schema`,
 * strict: every key required, no others; https://platform.openai.com/docs/guides/structured-outputs).
 * `suggested_template` is limited to the names of the heal templates that apply (or null).
 */
export function triageResponseFormat(templateNames: readonly string[]) {
  const suggested =
    templateNames.length === 0
      ? { type: "null" }
      : { type: ["string", "null"], enum: [...templateNames, null] };
  const list = { type: "array", items: { type: "string" } };
  return {
    type: "json_schema",
    json_schema: {
      name: "incident_triage",
      strict: true,
      schema: {
        type: "object",
        additionalProperties: false,
        required: ["summary", "likely_causes", "next_steps", "suggested_template", "confidence"],
        properties: {
          summary: { type: "string", description: "One or two sentences: what is happening." },
          likely_causes: { ...list, description: `At most ${MAX_CAUSES}, most likely first.` },
          next_steps: { ...list, description: `At most ${MAX_STEPS} checks or actions.` },
          suggested_template: suggested,
          confidence: { type: "number", description: "0 to 1." },
        },
      },
    },
  };
}

/**
 * Keeps the model's template suggestion only when it is one of `applicable` (the configured
 * templates that apply to the alert); otherwise it is dropped and flagged.
 */
export function toResult(a: TriageAnswer, applicable: readonly string[]): TriageResult {
  const named = a.suggested_template;
  const valid = named !== null && applicable.includes(named);
  return {
    summary: a.summary,
    likelyCauses: a.likely_causes,
    nextSteps: a.next_steps,
    suggestedTemplate: valid ? named : null,
    confidence: a.confidence,
    ...(named !== null && !valid && { ignoredSuggestion: true }),
  };
}

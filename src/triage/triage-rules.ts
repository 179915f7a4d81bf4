import type { TriageResult } from "../../db/schema/index.ts";
import { describeFix } from "./memory-text.ts";
import type { TriageContext } from "./triage-context.ts";
import { clip, MAX_CAUSES, MAX_ITEM, MAX_STEPS, MAX_SUMMARY } from "./triage-schema.ts";

/** The template a past fix of this symptom used, else the first one that applies. */
function suggestion(c: TriageContext): string | null {
  const fixed = c.memory.similar.flatMap((s) => s.plans).find((p) => p.status === "succeeded");
  const same = fixed && c.templates.find((t) => t.kind === fixed.kind && t.target === fixed.target);
  return (same ?? c.templates[0])?.template.name ?? null;
}

function causes(c: TriageContext): string[] {
  const out: string[] = [];
  const { errorClass } = c.symptom;
  if (errorClass !== "other")
    out.push(`Error class ${errorClass}, read from the alert's labels and text`);
  const same = c.recentEvents.filter((e) => e.sameFingerprint).length;
  if (same > 1) out.push(`${same} events of this alert in the last 24 h: persistent or flapping`);
  const others = c.recentEvents.filter((e) => !e.sameFingerprint);
  if (others.length > 0) {
    const names = [...new Set(others.map((e) => e.title))].slice(0, 2).join(", ");
    out.push(`${others.length} other events on the same instance in 24 h (${names})`);
  }
  return out;
}

function steps(c: TriageContext, timeZone: string): string[] {
  const out: string[] = [];
  for (const s of c.memory.similar.filter((x) => x.status === "resolved").slice(0, 2))
    out.push(`Before: ${s.title}, ${describeFix(s, timeZone)}`);
  const runbook = c.annotations.runbook_url ?? c.annotations.runbook;
  if (runbook) out.push(`Follow the runbook: ${runbook}`);
  if (out.length < 2) out.push("Check the service's logs and its latest deploy");
  return out;
}

/**
 * The rules fallback (no model, budget spent, every backend exhausted, timeout, refusal or
 * an invalid answer): the same shape as a model answer, built only from the symptom memory
 * (how the same symptom ended before), recent events and the templates that apply: the
 * suggestion is the template a past successful plan used, else the first that applies.
 * The section adds the memory line ("Seen N times; last …") itself. Pure.
 */
export function rulesTriage(c: TriageContext, timeZone: string): TriageResult {
  const a = c.alert;
  const where = a.labels.instance ?? a.labels.service ?? a.labels.job ?? a.source;
  const name = a.labels.alertname ?? a.type;
  const what = a.summary || a.title;
  return {
    summary: clip(`${name} on ${where}: ${what}`, MAX_SUMMARY),
    likelyCauses: causes(c)
      .slice(0, MAX_CAUSES)
      .map((s) => clip(s, MAX_ITEM)),
    nextSteps: steps(c, timeZone)
      .slice(0, MAX_STEPS)
      .map((s) => clip(s, MAX_ITEM)),
    suggestedTemplate: suggestion(c),
    confidence: null,
  };
}

import type { IncidentResolution } from "../../db/schema/index.ts";
import { personName } from "../person-name.ts";
import { formatTime } from "../telegram-format.ts";
import type { SimilarIncident, SymptomRecall } from "./symptom-memory.ts";

/**
 * How an incident ended, as a phrase that follows "last" (plain text; callers escape it):
 * `fixed by heal plan restart momo-app (succeeded, approved by Ada)`, `resolved by Ada by
 * hand`, `resolved on its own after heal plan … (failed)`.
 */
export function describeResolution(r: IncidentResolution): string {
  const p = r.plan;
  const by = personName(r.by);
  const plan = p
    ? `heal plan ${p.kind} ${p.target} (${p.status}${p.decidedBy ? `, approved by ${personName(p.decidedBy)}` : ""})`
    : undefined;
  if (r.how === "heal_plan" && plan)
    return r.by.startsWith("auto") ? `fixed by ${plan}` : `fixed by ${plan}, resolved by ${by}`;
  const after = plan ? ` after ${plan}` : "";
  return r.how === "auto" ? `resolved on its own${after}` : `resolved by ${by} by hand${after}`;
}

/** One past incident's ending with its local date: `resolved by Ada by hand, 2026-11-20`. */
export function describeFix(s: SimilarIncident, timeZone: string): string {
  const when = s.resolvedAt ? `, ${formatTime(s.resolvedAt, timeZone).slice(0, 10)}` : "";
  return `${s.resolution ? describeResolution(s.resolution) : "resolved"}${when}`;
}

/**
 * "Seen 3 times; last fixed by …" from the symptom memory (plain text), or undefined for a
 * symptom seen only this once.
 */
export function memoryLine(r: SymptomRecall, timeZone: string): string | undefined {
  if (r.seen <= 1 && r.similar.length === 0) return undefined;
  const times = `Seen ${r.seen} times`;
  if (r.lastFix) return `${times}; last ${describeFix(r.lastFix, timeZone)}`;
  return `${times}; none of the earlier ones is resolved yet`;
}

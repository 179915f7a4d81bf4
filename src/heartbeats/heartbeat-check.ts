import type { CheckResult } from "../smoke/smoke-types.ts";
import { formatDuration } from "../telegram-format.ts";
import type { AgentView, StallFacts } from "./agent-views.ts";

const NAMES_SHOWN = 5;

function names(agents: readonly AgentView[]): string {
  const shown = agents
    .slice(0, NAMES_SHOWN)
    .map((a) => `${a.name} (${formatDuration(a.ageMs)})`)
    .join(", ");
  return agents.length > NAMES_SHOWN ? `${shown}, …` : shown;
}

/**
 * The `heartbeats` smoke check, read
 * from the watchdog's memory: warning when any agent is suspected stalled or escalated, ok
 * otherwise; `skipped` while no agent has ever reported (nothing to judge, which is not the
 * same as healthy). Never critical: the watchdog's own critical event already opened the
 * escalation's incident, and a critical smoke check would open a second one for the same stall.
 */
export function checkHeartbeats(f: StallFacts): CheckResult {
  if (f.total === 0)
    return { name: "heartbeats", status: "skipped", detail: "no agents reporting yet" };
  const parts: string[] = [];
  if (f.escalated.length > 0) parts.push(`${f.escalated.length} escalated: ${names(f.escalated)}`);
  if (f.stalled.length > 0) parts.push(`${f.stalled.length} stalled: ${names(f.stalled)}`);
  if (parts.length === 0)
    return { name: "heartbeats", status: "ok", detail: `${f.total} agents, none stalled` };
  return {
    name: "heartbeats",
    status: "warning",
    detail: `${parts.join("; ")} (of ${f.total})`,
  };
}

import type { AgentStateRow } from "../../db/schema/index.ts";
import type { EventInput } from "../events/event.ts";
import { computeFingerprint } from "../events/fingerprint.ts";
import { formatDuration } from "../telegram-format.ts";
import type { EventStatus, Severity } from "../types.ts";
import type { AgentClass } from "./agent-classes.ts";
import { taskKey } from "./agent-state.ts";

/** Source of every event the heartbeat watchdog raises. */
export const HEARTBEAT_SOURCE = "heartbeats";

/** The four alerts an agent can raise. */
export type AgentAlertKind = "stalled" | "escalated" | "rounds_high" | "max_rounds";

/** Event type (= `alertname` for mutes) and severity of each alert kind. */
export const AGENT_ALERTS: Record<AgentAlertKind, { type: string; severity: Severity }> = {
  stalled: { type: "agent_stalled", severity: "warning" },
  escalated: { type: "agent_stall_escalated", severity: "critical" },
  rounds_high: { type: "agent_rounds_high", severity: "warning" },
  max_rounds: { type: "agent_max_rounds", severity: "critical" },
};

/** What an alert about an agent says. */
export interface AgentAlertFacts {
  state: Pick<AgentStateRow, "name" | "task" | "round" | "status" | "lastBeatAt">;
  cls: AgentClass;
  /** When the lower level of the same alert was raised (an escalation in place says so). */
  raisedFrom?: Date;
  /** The max-rounds alert replaces the 80 % warning of the same task (its message says so). */
  supersedes?: boolean;
}

/** `18:08 UTC`: when a lower level was raised, as an escalated alert's title names it. */
function utcClock(d: Date): string {
  return `${d.toISOString().slice(11, 16)} UTC`;
}

/**
 * The fingerprint of an agent's alert: one per stall episode of an agent (`stalled` and
 * `escalated` share it) and one per agent and task for rounds (`rounds_high` and
 * `max_rounds` share it; a new task may raise its own). The higher level is a repeat of
 * higher severity, so the router escalates the same alert in place (src/events/routing.ts)
 * and one resolved event ends it. Labels (class, task) are left out on purpose, so a beat
 * that changes its class still resolves what was raised.
 */
export function agentAlertFingerprint(
  kind: AgentAlertKind,
  agent: string,
  task: string | null,
): string {
  const rounds = kind === "rounds_high" || kind === "max_rounds";
  const key: Record<string, string> = rounds ? { agent, task: taskKey(task) } : { agent };
  // The lower level's name, as before both levels shared it: alerts raised by an older
  // version still resolve.
  const lower = AGENT_ALERTS[rounds ? "rounds_high" : "stalled"].type;
  return computeFingerprint(HEARTBEAT_SOURCE, lower, key);
}

function describe(
  kind: AgentAlertKind,
  f: AgentAlertFacts,
  now: Date,
): { title: string; summary: string } {
  const { state: s, cls } = f;
  const task = s.task ? `task "${s.task}"` : "no task";
  const round = s.round === null ? "round unknown" : `round ${s.round}/${cls.maxRounds}`;
  const limits = `class ${cls.name}: stall ${formatDuration(cls.stallS * 1000)}, escalate ${formatDuration(cls.escalateS * 1000)}`;
  switch (kind) {
    case "stalled":
    case "escalated":
      return {
        title:
          kind === "stalled"
            ? `Agent suspected stalled: ${s.name}`
            : `Agent stalled${f.raisedFrom ? ` (escalated from suspected at ${utcClock(f.raisedFrom)})` : ", escalated"}: ${s.name}`,
        summary: `Last beat ${formatDuration(Math.max(0, now.getTime() - s.lastBeatAt.getTime()))} ago (${limits}). Last said ${s.status} on ${task}, ${round}.`,
      };
    case "rounds_high":
      return {
        title: `Agent near max rounds: ${s.name}`,
        summary: `${round} on ${task} (80 % of class ${cls.name}'s limit).`,
      };
    case "max_rounds":
      return {
        title: `Agent reached max rounds: ${s.name}`,
        summary: `${round} on ${task}: told to pause until it starts a new task.${f.supersedes ? " Supersedes the 80 % warning of this task." : ""}`,
      };
  }
}

/**
 * The event of one agent alert for the EventRouter: firing when raised (a higher level
 * repeats the fingerprint with a higher severity), resolved (same fingerprint, once) when
 * the next beat or a new task clears it. Labels carry `alertname`, `agent`,
 * `instance` (= agent, shown on the message and used by inhibition), `class` and `task`.
 */
export function agentEvent(
  kind: AgentAlertKind,
  status: EventStatus,
  f: AgentAlertFacts,
  now: Date,
): EventInput {
  const { type, severity } = AGENT_ALERTS[kind];
  const { title, summary } = describe(kind, f, now);
  const labels: Record<string, string> = {
    alertname: type,
    agent: f.state.name,
    instance: f.state.name,
    class: f.cls.name,
    ...(f.state.task ? { task: f.state.task } : {}),
  };
  return {
    source: HEARTBEAT_SOURCE,
    type,
    severity,
    status,
    title,
    summary,
    labels,
    annotations: {},
    fingerprint: agentAlertFingerprint(kind, f.state.name, f.state.task),
    generatorUrl: null,
    occurredAt: now,
  };
}

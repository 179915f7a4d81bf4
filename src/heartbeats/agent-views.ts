import type { AgentStatus } from "../../db/schema/index.ts";
import type { Clock } from "../types.ts";
import type { AgentClass } from "./agent-classes.ts";
import type { AgentRegistry } from "./agent-registry.ts";
import {
  AGENT_VIEW_STATES,
  type AgentMemo,
  type AgentViewState,
  viewState,
} from "./agent-state.ts";

/** One agent as /agents, /metrics and the smoke check see it (read from memory). */
export interface AgentView {
  name: string;
  cls: AgentClass;
  state: AgentViewState;
  status: AgentStatus;
  task: string | null;
  round: number | null;
  note: string | null;
  lastBeatAt: Date;
  /** Time since the last beat at the moment of the view, ms. */
  ageMs: number;
  taskStartedAt: Date | null;
}

/** The agents the heartbeats smoke check reports on. */
export interface StallFacts {
  /** Agents known. */
  total: number;
  stalled: AgentView[];
  escalated: AgentView[];
}

/** Read-only views of the in-memory agents. */
export type AgentViews = ReturnType<typeof agentViews>;

/** Builds the views over `registry` (no database reads). */
export function agentViews(deps: {
  registry: AgentRegistry;
  classOf: (name: string) => AgentClass;
  clock: Clock;
}) {
  const toView = (m: AgentMemo, now: number): AgentView => ({
    name: m.name,
    cls: deps.classOf(m.class),
    state: viewState(m),
    status: m.status,
    task: m.task,
    round: m.round,
    note: m.note,
    lastBeatAt: m.lastBeatAt,
    ageMs: Math.max(0, now - m.lastBeatAt.getTime()),
    taskStartedAt: m.taskStartedAt,
  });
  const list = (): AgentView[] => {
    const now = deps.clock.now().getTime();
    return deps.registry
      .all()
      .map((m) => toView(m, now))
      .sort((a, b) => a.cls.name.localeCompare(b.cls.name) || a.name.localeCompare(b.name));
  };
  return {
    /** Every agent, grouped by class name, then by name. */
    list,
    /** One agent, or undefined. */
    view(name: string): AgentView | undefined {
      const m = deps.registry.get(name);
      return m ? toView(m, deps.clock.now().getTime()) : undefined;
    },
    /** Stalled and escalated agents (the heartbeats smoke check). */
    stallFacts(): StallFacts {
      const all = list();
      return {
        total: all.length,
        stalled: all.filter((a) => a.state === "stalled"),
        escalated: all.filter((a) => a.state === "escalated"),
      };
    },
    /** Agents per state (every state present, zeros included) and seconds since each beat. */
    gaugeValues(): { byState: Record<AgentViewState, number>; ages: [string, number][] } {
      const byState = Object.fromEntries(AGENT_VIEW_STATES.map((s) => [s, 0])) as Record<
        AgentViewState,
        number
      >;
      const ages: [string, number][] = [];
      for (const a of list()) {
        byState[a.state]++;
        ages.push([a.name, Math.floor(a.ageMs / 1000)]);
      }
      return { byState, ages };
    },
  };
}

import type { AgentStateRow, StallLevel } from "../../db/schema/index.ts";
import { type AgentClass, roundsWarnAt } from "./agent-classes.ts";
import type { Beat } from "./heartbeat-schema.ts";

/**
 * The pure rules of heartbeats (silence per class, rounds per task), kept apart from
 * storage and timers so each threshold is tested with plain values.
 */

/** An agent as the watchdog holds it in memory: its row plus where its silence is measured from. */
export interface AgentMemo extends AgentStateRow {
  /**
   * Silence is measured from here: the last beat, or the process start when the agent was
   * loaded from the database and its last beat is older (the downtime of commandpost is not
   * the agent's fault, so a restart raises no stall for it).
   */
  watchFrom: Date;
}

/** What /agents and /metrics call an agent's state. */
export const AGENT_VIEW_STATES = ["ok", "stalled", "escalated", "paused", "idle", "done"] as const;
/** An agent's state for people. */
export type AgentViewState = (typeof AGENT_VIEW_STATES)[number];

/** The key the once-per-task flags are stored under: the task, `""` for "no task". */
export function taskKey(task: string | null): string {
  return task ?? "";
}

/** True while the agent's current task reached max rounds (beats answer `pause`). */
export function isPaused(s: Pick<AgentStateRow, "task" | "pausedTask">): boolean {
  return s.pausedTask !== null && s.pausedTask === taskKey(s.task);
}

/**
 * True when silence counts against the agent: it said `working` or `blocked` and was not
 * told to pause. `idle` and `done` agents are expected to be quiet, and so is a paused one
 * (it waits for a person; its max-rounds alert already said so).
 */
export function isWatched(s: Pick<AgentStateRow, "status" | "task" | "pausedTask">): boolean {
  return (s.status === "working" || s.status === "blocked") && !isPaused(s);
}

const RANK: Record<StallLevel, number> = { none: 0, stalled: 1, escalated: 2 };

/** The stall levels above `from` up to `to`, lowest first (`none` → `escalated`: both). */
export function levelsCrossed(from: StallLevel, to: StallLevel): Exclude<StallLevel, "none">[] {
  const out: Exclude<StallLevel, "none">[] = [];
  if (RANK[from] < 1 && RANK[to] >= 1) out.push("stalled");
  if (RANK[from] < 2 && RANK[to] >= 2) out.push("escalated");
  return out;
}

/** The stall level `silenceMs` of silence deserves in class `c`. */
export function stallLevelFor(silenceMs: number, c: AgentClass): StallLevel {
  if (silenceMs >= c.escalateS * 1000) return "escalated";
  if (silenceMs >= c.stallS * 1000) return "stalled";
  return "none";
}

/** The state /agents shows: a raised stall first, then pause, then what the agent said. */
export function viewState(s: AgentStateRow): AgentViewState {
  if (s.stallLevel !== "none") return s.stallLevel;
  if (isPaused(s)) return "paused";
  if (s.status === "idle" || s.status === "done") return s.status;
  return "ok";
}

/** What one beat changes, and which alerts it raises or resolves. */
export interface BeatOutcome {
  next: AgentStateRow;
  /** The stall level the beat clears (its alerts get resolved events). */
  clearedStall: StallLevel;
  /** The task this beat left, with the rounds alerts raised on it (to resolve them). */
  endedTask: { task: string | null; warned: boolean; paused: boolean } | undefined;
  /** The 80 % rounds warning is due now (once per task). */
  roundsWarning: boolean;
  /** Max rounds reached now (once per task): a critical event. */
  maxRounds: boolean;
  /** The answer to the agent: pause while its current task is at max rounds. */
  pause: boolean;
}

/**
 * Applies a beat to the agent's previous state (undefined for a new agent). A task other than
 * the current one starts afresh: its start time is now, its round is what the beat says (or
 * unknown), and the once-per-task flags are cleared. Round ≥ max rounds pauses the task and
 * raises one critical; round ≥ 80 % of max raises one warning per task (not both at once).
 */
export function applyBeat(
  prev: AgentStateRow | undefined,
  beat: Beat,
  c: AgentClass,
  now: Date,
): BeatOutcome {
  const task = beat.task === undefined ? (prev?.task ?? null) : beat.task;
  const key = taskKey(task);
  const newTask = prev === undefined || key !== taskKey(prev.task);
  const round = beat.round ?? (newTask ? null : (prev?.round ?? null));
  let roundsWarnedTask = newTask ? null : (prev?.roundsWarnedTask ?? null);
  let pausedTask = newTask ? null : (prev?.pausedTask ?? null);
  let roundsWarning = false;
  let maxRounds = false;
  if (round !== null && round >= c.maxRounds) {
    maxRounds = pausedTask !== key;
    pausedTask = key;
    roundsWarnedTask = key;
  } else if (round !== null && round >= roundsWarnAt(c) && roundsWarnedTask !== key) {
    roundsWarning = true;
    roundsWarnedTask = key;
  }
  const endedTask =
    prev && newTask
      ? {
          task: prev.task,
          warned: prev.roundsWarnedTask === taskKey(prev.task),
          paused: isPaused(prev),
        }
      : undefined;
  const next: AgentStateRow = {
    name: beat.agent,
    class: c.name,
    status: beat.status,
    task,
    round,
    note: beat.note,
    lastBeatAt: now,
    taskStartedAt: newTask ? now : (prev?.taskStartedAt ?? now),
    stallLevel: "none",
    roundsWarnedTask,
    pausedTask,
    updatedAt: now,
  };
  return {
    next,
    clearedStall: prev?.stallLevel ?? "none",
    endedTask,
    roundsWarning,
    maxRounds,
    pause: pausedTask === key,
  };
}

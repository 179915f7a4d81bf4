import type { Db, DbOrTx } from "../../db/client.ts";
import type { AgentStateRow } from "../../db/schema/index.ts";
import type { EventInput } from "../events/event.ts";
import type { EventRouter } from "../events/event-router.ts";
import type { Clock } from "../types.ts";
import { type AgentClass, DEFAULT_CLASS } from "./agent-classes.ts";
import type { AgentRegistry } from "./agent-registry.ts";
import { applyBeat, type BeatOutcome, taskKey } from "./agent-state.ts";
import { type AgentAlertKind, agentEvent } from "./heartbeat-events.ts";
import { parseBeat } from "./heartbeat-schema.ts";
import { type HeartbeatStore, StaleAgentStateError } from "./heartbeat-store.ts";

/** What a beat is answered with: go on, or pause (max rounds reached) and why. */
export type BeatAnswer = { action: "continue" } | { action: "pause"; reason: string };

/** Tries of a beat whose stored state kept changing under it (another replica's beats). */
const BEAT_TRIES = 5;

/** The events one beat raises and resolves, in that order. */
function beatEvents(prev: AgentStateRow | undefined, o: BeatOutcome, cls: AgentClass, now: Date) {
  const out: EventInput[] = [];
  const ev = (kind: AgentAlertKind, status: "firing" | "resolved", state = o.next) =>
    out.push(agentEvent(kind, status, { state, cls }, now));
  // Both levels of a stall, and both rounds alerts of a task, are one alert (one
  // fingerprint, see agentAlertFingerprint): one resolved event ends each.
  if (prev && o.clearedStall !== "none") ev(o.clearedStall, "resolved", prev);
  if (prev && o.endedTask && (o.endedTask.warned || o.endedTask.paused)) {
    ev(o.endedTask.paused ? "max_rounds" : "rounds_high", "resolved", prev);
  }
  if (o.roundsWarning) ev("rounds_high", "firing");
  if (o.maxRounds) {
    const warned = prev?.roundsWarnedTask === taskKey(o.next.task) && !o.endedTask;
    out.push(agentEvent("max_rounds", "firing", { state: o.next, cls, supersedes: warned }, now));
  }
  return out;
}

/** Why a beat is answered `pause`: the round, the limit and its class, the task. */
function pauseReason(o: BeatOutcome, cls: AgentClass): string {
  const on = o.next.task ? `task "${o.next.task}"` : "the current work";
  return `max rounds reached: round ${o.next.round} of ${cls.maxRounds} (class ${cls.name}) on ${on}; start a new task or wait for a person`;
}

/** Dependencies of {@link createBeatRecorder}. */
export interface BeatRecorderDeps {
  db: Db;
  store: Pick<HeartbeatStore, "get" | "recordBeat">;
  registry: AgentRegistry;
  router: Pick<EventRouter, "ingest">;
  classOf: (name: string) => AgentClass;
  clock: Clock;
  /** Known classes, for validating the beat's `class`. */
  classes: Record<string, AgentClass>;
}

/**
 * Builds the beat path of `POST /api/heartbeats/:agent`: `(agent, body) → answer`, stored
 * with the events it raises and resolves.
 * @throws InputError (400) naming the bad field; database or router errors propagate (5xx).
 */
export function createBeatRecorder(deps: BeatRecorderDeps) {
  const { store, registry, classOf, clock } = deps;
  // A beat is stored with its events in one transaction. The state it starts from is read
  // from the database, not from memory: with several replicas the agent's previous beat, or
  // the watchdog's verdict, may have been taken by another one. When that state changes
  // before the beat is stored, the beat is decided again.
  return async function record(agent: string, body: unknown): Promise<BeatAnswer> {
    const beat = parseBeat(agent, body, deps.classes);
    return registry.withAgent(beat.agent, async () => {
      for (let attempt = 1; ; attempt++) {
        const prev = await store.get(beat.agent);
        const cls = classOf(beat.class ?? prev?.class ?? DEFAULT_CLASS);
        const now = clock.now();
        const o = applyBeat(prev, beat, cls, now);
        const events = beatEvents(prev, o, cls, now);
        const write = async (tx: DbOrTx) => {
          if (!(await store.recordBeat(o.next, prev, tx))) throw new StaleAgentStateError(agent);
        };
        try {
          if (events.length > 0) await deps.router.ingest(events, { within: write });
          else await write(deps.db);
        } catch (err) {
          if (err instanceof StaleAgentStateError && attempt < BEAT_TRIES) continue;
          throw err;
        }
        registry.set({ ...o.next, watchFrom: now });
        return o.pause ? { action: "pause", reason: pauseReason(o, cls) } : { action: "continue" };
      }
    });
  };
}

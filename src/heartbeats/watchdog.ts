import type { StallLevel } from "../../db/schema/index.ts";
import { coerceError } from "../errors.ts";
import type { EventRouter } from "../events/event-router.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "../types.ts";
import type { AgentClass } from "./agent-classes.ts";
import type { AgentRegistry } from "./agent-registry.ts";
import { type AgentMemo, isWatched, levelsCrossed, stallLevelFor } from "./agent-state.ts";
import { agentEvent } from "./heartbeat-events.ts";
import { type HeartbeatStore, StaleAgentStateError } from "./heartbeat-store.ts";

/** A stall level an agent has newly reached. */
export interface StallVerdict {
  agent: string;
  from: StallLevel;
  to: StallLevel;
}

/**
 * The agents whose stall level rises at `now` (pure): watched agents (see
 * {@link isWatched}) silent since `watchFrom` for their class's `stall_s` reach `stalled`,
 * for `escalate_s` `escalated`. Levels only rise here; a beat brings them back to none.
 */
export function findStalls(
  agents: readonly AgentMemo[],
  classOf: (name: string) => AgentClass,
  now: Date,
): StallVerdict[] {
  const out: StallVerdict[] = [];
  for (const a of agents) {
    if (!isWatched(a)) continue;
    const to = stallLevelFor(now.getTime() - a.watchFrom.getTime(), classOf(a.class));
    if (levelsCrossed(a.stallLevel, to).length > 0)
      out.push({ agent: a.name, from: a.stallLevel, to });
  }
  return out;
}

/** Dependencies of {@link createWatchdog}. */
export interface WatchdogDeps {
  registry: AgentRegistry;
  store: Pick<HeartbeatStore, "setStallLevel" | "get">;
  router: Pick<EventRouter, "ingest">;
  classOf: (name: string) => AgentClass;
  clock: Clock;
  logger: Logger;
  /** Process start: silence before it is not counted (see AgentRegistry.load). */
  startedAt: Date;
}

/** Evaluates stalls from memory and raises their events. */
export type Watchdog = ReturnType<typeof createWatchdog>;

/** Builds the watchdog; {@link Watchdog.evaluate} is one tick. */
export function createWatchdog(deps: WatchdogDeps) {
  const { registry, clock } = deps;

  /**
   * Raises the events of one verdict and stores it in one transaction, re-checked under the
   * agent's lock and, in the database, against the state it was computed from: when a beat
   * (on any replica) or another watchdog changed the agent meanwhile, nothing is raised and
   * the agent is re-read.
   */
  async function raise(v: StallVerdict): Promise<boolean> {
    return registry.withAgent(v.agent, async () => {
      const memo = registry.get(v.agent);
      if (!memo || memo.stallLevel !== v.from || !isWatched(memo)) return false; // a beat came
      const now = clock.now();
      const cls = deps.classOf(memo.class);
      // One event, for the level reached: both levels are one alert, escalated in place
      // from the suspected stall raised at memo.updatedAt (see agentAlertFingerprint).
      const kind = v.to === "escalated" ? "escalated" : "stalled";
      const raisedFrom = memo.stallLevel === "stalled" ? memo.updatedAt : undefined;
      try {
        await deps.router.ingest(
          [agentEvent(kind, "firing", { state: memo, cls, raisedFrom }, now)],
          {
            within: async (tx) => {
              const { name, lastBeatAt, stallLevel } = memo;
              if (!(await deps.store.setStallLevel(name, lastBeatAt, stallLevel, v.to, now, tx)))
                throw new StaleAgentStateError(name);
            },
          },
        );
      } catch (err) {
        if (!(err instanceof StaleAgentStateError)) throw err;
        const row = await deps.store.get(memo.name);
        if (row) registry.refresh(row, deps.startedAt);
        return false;
      }
      registry.set({ ...memo, stallLevel: v.to, updatedAt: now });
      deps.logger.warn(
        { agent: memo.name, stall_level: v.to, task: memo.task },
        "agent stall raised",
      );
      return true;
    });
  }

  return {
    /**
     * One evaluation: reads memory only; for each agent whose level rose, its events go
     * through the EventRouter and one row is updated. A failure for one agent is logged and
     * retried at the next tick (memory is changed only after both succeeded). Returns the
     * number of verdicts stored.
     */
    async evaluate(): Promise<number> {
      const verdicts = findStalls(registry.all(), deps.classOf, clock.now());
      let changed = 0;
      for (const v of verdicts) {
        try {
          if (await raise(v)) changed++;
        } catch (err) {
          deps.logger.error(
            { agent: v.agent, err: coerceError(err).message },
            "raising an agent stall failed; retried next tick",
          );
        }
      }
      return changed;
    },
  };
}

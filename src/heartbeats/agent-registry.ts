import type { AgentStateRow } from "../../db/schema/index.ts";
import type { AgentMemo } from "./agent-state.ts";

/** The agents in memory, and one lock per agent so its beats and verdicts never interleave. */
export type AgentRegistry = ReturnType<typeof createAgentRegistry>;

/**
 * Builds the in-memory registry the watchdog evaluates (so a tick never queries the database
 * per agent). Changes go through {@link AgentRegistry.withAgent}: beats and watchdog
 * verdicts of one agent run one after the other, different agents in parallel.
 */
export function createAgentRegistry() {
  const agents = new Map<string, AgentMemo>();
  const locks = new Map<string, Promise<unknown>>();
  return {
    /**
     * Loads stored agents at start. Silence is measured from max(last beat, `startedAt`): the
     * time commandpost was down is not counted against anyone, so a restart raises no stall
     * that the agents did not earn while it was watching.
     */
    load(rows: readonly AgentStateRow[], startedAt: Date): void {
      for (const r of rows) {
        const watchFrom = r.lastBeatAt > startedAt ? r.lastBeatAt : startedAt;
        agents.set(r.name, { ...r, watchFrom });
      }
    },

    /**
     * Takes on a stored row another replica (or a stale verdict) changed. Silence is still
     * measured from where this process measured it when the last beat is the one it knew,
     * else from the row's last beat (a beat taken elsewhere), but never from before
     * `startedAt`. Call it under {@link AgentRegistry.withAgent}.
     */
    refresh(row: AgentStateRow, startedAt: Date): void {
      const known = agents.get(row.name);
      const sameBeat = known && known.lastBeatAt.getTime() === row.lastBeatAt.getTime();
      const watchFrom = sameBeat
        ? known.watchFrom
        : row.lastBeatAt > startedAt
          ? row.lastBeatAt
          : startedAt;
      agents.set(row.name, { ...row, watchFrom });
    },

    /** The agent `name`, or undefined. */
    get: (name: string): AgentMemo | undefined => agents.get(name),

    /** Every agent, by name. */
    all: (): AgentMemo[] => [...agents.values()].sort((a, b) => a.name.localeCompare(b.name)),

    /** Replaces (or adds) an agent; call it under {@link AgentRegistry.withAgent}. */
    set(memo: AgentMemo): void {
      agents.set(memo.name, memo);
    },

    /** Runs `fn` once every earlier call for `name` has settled. */
    withAgent<T>(name: string, fn: () => Promise<T>): Promise<T> {
      const prev = locks.get(name) ?? Promise.resolve();
      const run = prev.then(fn, fn);
      const tail = run.catch(() => {});
      locks.set(name, tail);
      void tail.then(() => {
        if (locks.get(name) === tail) locks.delete(name);
      });
      return run;
    },

    /** Resolves when every queued change has settled (stop). */
    async drain(): Promise<void> {
      await Promise.all([...locks.values()]);
    },
  };
}

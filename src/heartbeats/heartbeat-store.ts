import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.ts";
import {
  type AgentBeatRow,
  type AgentStateRow,
  agentBeats,
  agentStates,
  type StallLevel,
} from "../../db/schema/index.ts";
import { monotonicFactory } from "../ids.ts";

/** Beat ids sort in arrival order even within one millisecond. */
const nextId = monotonicFactory();

/**
 * A beat or verdict was computed from an agent state that another replica (or request)
 * changed since; nothing was stored. The caller re-reads the state and decides again.
 */
export class StaleAgentStateError extends Error {
  readonly agent: string;
  constructor(agent: string) {
    super(`the state of agent ${agent} changed meanwhile`);
    this.name = "StaleAgentStateError";
    this.agent = agent;
  }
}

/** Rows of `agent_states` and `agent_beats` (db/schema/heartbeats.ts). */
export type HeartbeatStore = ReturnType<typeof createHeartbeatStore>;

/** Builds the heartbeat store over `db`. Methods take an optional transaction. */
export function createHeartbeatStore(db: Db) {
  return {
    /** Every known agent (loaded once at start; the watchdog works from memory after that). */
    loadAll(tx: DbOrTx = db): Promise<AgentStateRow[]> {
      return tx.select().from(agentStates);
    },

    /** One agent's stored state, or undefined. */
    async get(name: string, tx: DbOrTx = db): Promise<AgentStateRow | undefined> {
      const [row] = await tx.select().from(agentStates).where(eq(agentStates.name, name));
      return row;
    },

    /**
     * Records a beat and the agent's new state in one statement (the state's change is a
     * data-modifying CTE the beat's insert selects from), only if the stored state is still
     * `prev` (same last beat and stall level; none stored for a new agent). Replicas take
     * beats of one agent and the watchdog's verdicts at once: a change computed from a state
     * another one changed since is refused, and the caller starts again from the new state.
     * True when stored.
     */
    async recordBeat(
      state: AgentStateRow,
      prev: Pick<AgentStateRow, "lastBeatAt" | "stallLevel"> | undefined,
      tx: DbOrTx = db,
    ): Promise<boolean> {
      const { name: _name, ...rest } = state;
      const st = tx.$with("st").as(
        prev
          ? tx
              .update(agentStates)
              .set(rest)
              .where(
                and(
                  eq(agentStates.name, state.name),
                  eq(agentStates.lastBeatAt, prev.lastBeatAt),
                  eq(agentStates.stallLevel, prev.stallLevel),
                ),
              )
              .returning({ name: agentStates.name })
          : tx
              .insert(agentStates)
              .values(state)
              .onConflictDoNothing()
              .returning({ name: agentStates.name }),
      );
      const inserted = await tx
        .with(st)
        .insert(agentBeats)
        .select(
          tx
            .select({
              id: sql<string>`${nextId(state.lastBeatAt.getTime())}`.as("id"),
              agent: st.name,
              at: sql<Date>`${state.lastBeatAt.toISOString()}::timestamptz`.as("at"),
              class: sql<string>`${state.class}`.as("class"),
              status: sql<AgentStateRow["status"]>`${state.status}`.as("status"),
              task: sql<string | null>`${state.task}::text`.as("task"),
              round: sql<number | null>`${state.round}::int`.as("round"),
              note: sql<string | null>`${state.note}::text`.as("note"),
            })
            .from(st),
        )
        .returning({ id: agentBeats.id });
      return inserted.length > 0;
    },

    /**
     * Stores a watchdog verdict (`from` → `level`) only if the stored state is still the one
     * it was computed from: no beat since `lastBeatAt` (a beat wins over a verdict computed
     * before it) and no other watchdog raised it meanwhile. True when the row was changed.
     */
    async setStallLevel(
      name: string,
      lastBeatAt: Date,
      from: StallLevel,
      level: StallLevel,
      now: Date,
      tx: DbOrTx = db,
    ): Promise<boolean> {
      const rows = await tx
        .update(agentStates)
        .set({ stallLevel: level, updatedAt: now })
        .where(
          and(
            eq(agentStates.name, name),
            eq(agentStates.lastBeatAt, lastBeatAt),
            eq(agentStates.stallLevel, from),
          ),
        )
        .returning({ name: agentStates.name });
      return rows.length > 0;
    },

    /** The newest `limit` beats of `agent`, newest first (the /agents Details view). */
    recentBeats(agent: string, limit: number, tx: DbOrTx = db): Promise<AgentBeatRow[]> {
      return tx
        .select()
        .from(agentBeats)
        .where(eq(agentBeats.agent, agent))
        .orderBy(desc(agentBeats.at), desc(agentBeats.id))
        .limit(limit);
    },

    /** Deletes beats older than `before` (retention); returns how many went. */
    async pruneBefore(before: Date, tx: DbOrTx = db): Promise<number> {
      const gone = await tx
        .delete(agentBeats)
        .where(lt(agentBeats.at, before))
        .returning({ id: agentBeats.id });
      return gone.length;
    },
  };
}

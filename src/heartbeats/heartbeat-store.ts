import { and, desc, eq, lt } from "drizzle-orm";
import { monotonicFactory } from "ulid";
import type { Db, DbOrTx } from "../../db/client.ts";
import {
  type AgentBeatRow,
  type AgentStateRow,
  agentBeats,
  agentStates,
  type StallLevel,
} from "../../db/schema/index.ts";

/** Beat ids sort in arrival order even within one millisecond. */
const nextId = monotonicFactory();

/** Rows of `agent_states` and `agent_beats` (db/schema/heartbeats.ts). */
export type HeartbeatStore = ReturnType<typeof createHeartbeatStore>;

/** Builds the heartbeat store over `db`. Methods take an optional transaction. */
export function createHeartbeatStore(db: Db) {
  return {
    /** Every known agent (loaded once at start; the watchdog works from memory after that). */
    loadAll(tx: DbOrTx = db): Promise<AgentStateRow[]> {
      return tx.select().from(agentStates);
    },

    /**
     * Records a beat and the agent's new state in one statement (the beat's insert is a
     * data-modifying CTE of the state's upsert): one round trip per beat, atomic without a
     * transaction.
     */
    async recordBeat(state: AgentStateRow, tx: DbOrTx = db): Promise<void> {
      const beat = tx.$with("beat").as(
        tx.insert(agentBeats).values({
          id: nextId(state.lastBeatAt.getTime()),
          agent: state.name,
          at: state.lastBeatAt,
          class: state.class,
          status: state.status,
          task: state.task,
          round: state.round,
          note: state.note,
        }),
      );
      const { name: _name, ...rest } = state;
      await tx
        .with(beat)
        .insert(agentStates)
        .values(state)
        .onConflictDoUpdate({ target: agentStates.name, set: rest });
    },

    /**
     * Stores a watchdog verdict, only if no beat arrived since `lastBeatAt` (a beat wins over
     * a verdict computed before it). True when the row was changed.
     */
    async setStallLevel(
      name: string,
      lastBeatAt: Date,
      level: StallLevel,
      now: Date,
      tx: DbOrTx = db,
    ): Promise<boolean> {
      const rows = await tx
        .update(agentStates)
        .set({ stallLevel: level, updatedAt: now })
        .where(and(eq(agentStates.name, name), eq(agentStates.lastBeatAt, lastBeatAt)))
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

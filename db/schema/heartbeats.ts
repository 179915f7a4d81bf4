import { index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** What an agent says it is doing. */
export const AGENT_STATUSES = ["working", "idle", "blocked", "done"] as const;
/** An agent's self-reported status. */
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** Stall level the watchdog raised for an agent: none, warning (stall_s), critical (escalate_s). */
export const STALL_LEVELS = ["none", "stalled", "escalated"] as const;
/** A stall level. */
export type StallLevel = (typeof STALL_LEVELS)[number];

/**
 * The last known state of each heartbeating agent (one row per agent name). The watchdog keeps
 * these in memory and writes a row only when a beat arrives or its verdict changes, so a restart
 * remembers agents and what was already raised.
 */
export const agentStates = pgTable("agent_states", {
  name: text("name").primaryKey(),
  class: text("class").notNull(),
  status: text("status", { enum: AGENT_STATUSES }).notNull(),
  task: text("task"),
  round: integer("round"),
  note: text("note"),
  lastBeatAt: timestamp("last_beat_at", { withTimezone: true }).notNull(),
  /** When the current task was first seen (a new task restarts the round count). */
  taskStartedAt: timestamp("task_started_at", { withTimezone: true }),
  stallLevel: text("stall_level", { enum: STALL_LEVELS }).notNull().default("none"),
  /** The task for which the 80 % rounds warning was already raised (once per task). */
  roundsWarnedTask: text("rounds_warned_task"),
  /** The task that reached max rounds: beats answer `pause` while it stays current. */
  pausedTask: text("paused_task"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
});

/** An agent state row as stored. */
export type AgentStateRow = typeof agentStates.$inferSelect;

/** Every beat received, for the /agents Details view (recent beats and notes). */
export const agentBeats = pgTable(
  "agent_beats",
  {
    id: text("id").primaryKey(),
    agent: text("agent").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    class: text("class").notNull(),
    status: text("status", { enum: AGENT_STATUSES }).notNull(),
    task: text("task"),
    round: integer("round"),
    note: text("note"),
  },
  (t) => [
    index("agent_beats_agent_at_idx").on(t.agent, t.at),
    index("agent_beats_at_idx").on(t.at),
  ],
);

/** A beat as stored. */
export type AgentBeatRow = typeof agentBeats.$inferSelect;

import {
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/** The seven aider-watch event types. */
export const AIDER_EVENT_TYPES = [
  "session_start",
  "file_edit",
  "error",
  "commit",
  "silent_timeout",
  "session_end",
  "raw",
] as const;
/** An aider-watch event type. */
export type AiderEventType = (typeof AIDER_EVENT_TYPES)[number];

/**
 * One aider run. A derived summary: events may arrive out of order
 * (a buffer flush), so any event creates the row and `session_start` / `session_end` fill it.
 */
export const aiderSessions = pgTable(
  "aider_sessions",
  {
    id: text("id").primaryKey(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    cwd: text("cwd"),
    model: text("model"),
    aiderArgs: jsonb("aider_args").$type<string[]>(),
    aiderPid: integer("aider_pid"),
    cliVersion: text("cli_version"),
    host: text("host"),
    durationSec: integer("duration_sec"),
    tokensSent: integer("tokens_sent").notNull().default(0),
    tokensRecv: integer("tokens_recv").notNull().default(0),
    /** USD. */
    costUsd: doublePrecision("cost_usd").notNull().default(0),
    filesChanged: integer("files_changed").notNull().default(0),
    errorCount: integer("error_count").notNull().default(0),
    exitCode: integer("exit_code"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("aider_sessions_started_idx").on(t.startedAt)],
);

/** A session row as stored. */
export type AiderSessionRow = typeof aiderSessions.$inferSelect;

/** Every event as received; `id` is the client's, so replays are no-ops. */
export const aiderEvents = pgTable(
  "aider_events",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id").notNull(),
    ts: timestamp("ts", { withTimezone: true }).notNull(),
    type: text("type", { enum: AIDER_EVENT_TYPES }).notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    index("aider_events_session_ts_idx").on(t.sessionId, t.ts),
    index("aider_events_ts_idx").on(t.ts),
  ],
);

/** An aider event as stored. */
export type AiderEventRow = typeof aiderEvents.$inferSelect;

/** File changes flattened for top-N queries; id = the event id. */
export const aiderFileTouches = pgTable(
  "aider_file_touches",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id").notNull(),
    path: text("path").notNull(),
    touchedAt: timestamp("touched_at", { withTimezone: true }).notNull(),
    linesAdded: integer("lines_added").notNull().default(0),
    linesDeleted: integer("lines_deleted").notNull().default(0),
    isNewFile: boolean("is_new_file").notNull().default(false),
  },
  (t) => [
    index("aider_file_touches_path_idx").on(t.path),
    index("aider_file_touches_session_idx").on(t.sessionId),
    index("aider_file_touches_at_idx").on(t.touchedAt),
  ],
);

/** A file touch as stored. */
export type AiderFileTouchRow = typeof aiderFileTouches.$inferSelect;

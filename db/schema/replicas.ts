import {
  bigint,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import { backends } from "./backends.ts";

/**
 * One row per running commandpost process on this database (docs/operations.md, Scaling
 * out). A replica renews `last_seen_at` (database time) every `REPLICA_RENEW_S`; one not seen
 * for three renewals is gone.
 */
export const replicas = pgTable("replicas", {
  id: text("id").primaryKey(),
  host: text("host").notNull(),
  pid: integer("pid").notNull(),
  version: text("version").notNull(),
  /** HTTP port the replica listens on (0 before it listens). */
  port: integer("port").notNull().default(0),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
  lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull(),
  /** Renewal period in ms, so readers know when this row counts as gone. */
  renewMs: integer("renew_ms").notNull(),
  /** Roles this replica holds (its advisory locks), as it last wrote them. */
  roles: jsonb("roles").$type<string[]>().notNull().default([]),
  /** Backend pid of its coordination session (matches `pg_locks.pid`); null on PGlite. */
  sessionPid: integer("session_pid"),
});

/** A replica row as stored. */
export type ReplicaRow = typeof replicas.$inferSelect;

/**
 * A version per shared table, bumped by a trigger in the same transaction as every change
 * (db/migrations/0009_replicas.sql), which also sends `NOTIFY commandpost_changes`.
 * Replicas compare versions as a safety net for notifications they missed.
 */
export const changeVersions = pgTable("change_versions", {
  topic: text("topic").primaryKey(),
  version: bigint("version", { mode: "number" }).notNull(),
  changedAt: timestamp("changed_at", { withTimezone: true }).notNull(),
});

/**
 * The per-backend RPM token bucket shared by every replica (src/replicas/shared-rpm.ts):
 * tokens left at `refilled_at`, refilled by database time.
 */
export const rpmBuckets = pgTable("rpm_buckets", {
  backendId: text("backend_id")
    .primaryKey()
    .references(() => backends.id, { onDelete: "cascade" }),
  tokens: doublePrecision("tokens").notNull(),
  refilledAt: timestamp("refilled_at", { withTimezone: true }).notNull(),
});

/**
 * Bot API updates already taken by a replica, so an update fetched twice (a new poller after
 * a crash, a webhook redelivery) is handled once. An update is known by its id and a digest
 * of its content: Telegram never reuses an id, but a Bot API server that does (a test
 * emulator numbers updates sent in quick succession alike) must not lose the later ones.
 * Kept 24 h, as long as Telegram keeps an unconfirmed update.
 */
export const botUpdates = pgTable(
  "bot_updates",
  {
    updateId: bigint("update_id", { mode: "number" }).notNull(),
    digest: text("digest").notNull(),
    replicaId: text("replica_id").notNull(),
    takenAt: timestamp("taken_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.updateId, t.digest] }),
    index("bot_updates_taken_idx").on(t.takenAt),
  ],
);

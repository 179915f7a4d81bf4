import { sql } from "drizzle-orm";
import { integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/** A chat and maybe a forum topic, as stored (src/notifications/routes-config.ts ChatTarget). */
export interface ChatTargetRow {
  chatId: number;
  threadId: number | null;
}

/** Group states: `open` while some member fires, `closed` once every member resolved. */
export const ALERT_GROUP_STATUSES = ["open", "closed"] as const;

/**
 * Alerts told about in one Telegram message (src/events/group-notifier.ts): those one ingest
 * announced together under one group key (Alertmanager's group, or a route's `group_by`),
 * and later alerts of that key while a member still fires. Members point here by
 * `alerts.group_id`. At most one open group per key.
 */
export const alertGroups = pgTable(
  "alert_groups",
  {
    id: text("id").primaryKey(),
    /** The group key with the kind and chats it goes to (src/events/group-key.ts). */
    key: text("key").notNull(),
    /** The label values the members share (header of the message, matchers of "Mute group"). */
    labels: jsonb("labels").$type<Record<string, string>>().notNull(),
    /** The chats (and forum topics) the group message goes to. */
    chats: jsonb("chats").$type<ChatTargetRow[]>().notNull(),
    status: text("status", { enum: ALERT_GROUP_STATUSES }).notNull().default("open"),
    /** Group messages queued: 1, plus one per re-announcement. */
    notifications: integer("notifications").notNull().default(1),
    lastNotifiedAt: timestamp("last_notified_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    closedAt: timestamp("closed_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("alert_groups_open_key_uq").on(t.key).where(sql`status = 'open'`)],
);

export type AlertGroupRow = typeof alertGroups.$inferSelect;

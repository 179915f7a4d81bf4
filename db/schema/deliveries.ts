import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/** Telegram inline keyboard as sent in `reply_markup` (buttons carry callback data only). */
export type InlineKeyboard = { text: string; callback_data: string }[][];

/** Delivery states. `superseded`: an edit folded into a newer one before it was sent. */
export const DELIVERY_STATUSES = ["pending", "sending", "sent", "dead", "superseded"] as const;

/**
 * The outbox: every Telegram message (kind `send`) or edit of one (kind `edit`, `targetId` =
 * the send's id) is a row here before it goes to Telegram (docs/architecture.md, The path of an alert).
 */
export const deliveries = pgTable(
  "deliveries",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: ["send", "edit"] }).notNull(),
    chatId: bigint("chat_id", { mode: "number" }).notNull(),
    /** Forum topic of a send (`message_thread_id`), or null for the chat itself. */
    threadId: integer("thread_id"),
    targetId: text("target_id"),
    /** What the message is about, e.g. `alert:<id>`; edits find their messages by it. */
    subject: text("subject"),
    text: text("text").notNull(),
    replyMarkup: jsonb("reply_markup").$type<InlineKeyboard>(),
    disableNotification: boolean("disable_notification").notNull().default(false),
    dedupKey: text("dedup_key").notNull().unique(),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull(),
    lockedUntil: timestamp("locked_until", { withTimezone: true }),
    lockedBy: text("locked_by"),
    lastError: text("last_error"),
    telegramMessageId: bigint("telegram_message_id", { mode: "number" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [
    index("deliveries_due_idx").on(t.nextAttemptAt).where(sql`status in ('pending', 'sending')`),
    index("deliveries_subject_idx").on(t.subject),
    // Edits fold into the pending edit of their message (src/outbox/outbox-writes.ts).
    index("deliveries_pending_target_idx").on(t.targetId).where(sql`status = 'pending'`),
  ],
);

export type DeliveryRow = typeof deliveries.$inferSelect;
export type DeliveryInsert = typeof deliveries.$inferInsert;

import { and, eq, isNull, like, lte, or } from "drizzle-orm";
import { monotonicFactory } from "ulid";
import type { Db, DbOrTx } from "../../db/client.ts";
import { deliveries, type InlineKeyboard, kv } from "../../db/schema/index.ts";

/** A message to put in the outbox. */
export interface NewMessage {
  chatId: number;
  /** Forum topic to post in (`message_thread_id`); unset or null for the chat itself. */
  threadId?: number | null;
  text: string;
  keyboard?: InlineKeyboard | null;
  /** `alert:<id>` and the like: later edits of the subject find this message by it. */
  subject?: string;
  /** Unique; a second enqueue with the same key is ignored. */
  dedupKey: string;
  disableNotification?: boolean;
}

/**
 * Delivery ids: monotonic ULIDs, so messages queued in the same millisecond keep their order
 * (the worker claims by next attempt time, then id).
 */
const ulid = monotonicFactory();

/** kv key prefix under which a migrated group's new chat id is remembered. */
export const CHAT_MIGRATION_KEY = "outbox:chat-migration:";

/**
 * The writing half of the outbox: queue messages and edits. Every method takes the caller's
 * transaction so that an event, its incident change and its deliveries commit together.
 */
export function createOutboxWrites(db: Db) {
  let migrated: Map<number, number> | undefined;

  /** A chat's current id, following remembered `migrate_to_chat_id` answers. */
  async function currentChat(chatId: number, tx: DbOrTx): Promise<number> {
    if (!migrated) {
      const rows = await tx
        .select()
        .from(kv)
        .where(like(kv.key, `${CHAT_MIGRATION_KEY}%`));
      migrated = new Map(
        rows.map((r) => [Number(r.key.slice(CHAT_MIGRATION_KEY.length)), Number(r.value)]),
      );
    }
    let id = chatId;
    for (let hops = 0; hops < 5 && migrated.has(id); hops++) id = migrated.get(id) as number;
    return id;
  }

  async function queueEdit(
    send: { id: string; chatId: number },
    subject: string,
    text: string,
    keyboard: InlineKeyboard | null,
    now: Date,
    tx: DbOrTx,
  ): Promise<void> {
    // Fold into an unclaimed pending edit of the same message if there is one (edits coalesce).
    const folded = await tx
      .update(deliveries)
      .set({ text, replyMarkup: keyboard })
      .where(
        and(
          eq(deliveries.targetId, send.id),
          eq(deliveries.status, "pending"),
          or(isNull(deliveries.lockedUntil), lte(deliveries.lockedUntil, now)),
        ),
      )
      .returning({ id: deliveries.id });
    if (folded.length > 0) return;
    const id = ulid();
    await tx.insert(deliveries).values({
      id,
      kind: "edit",
      chatId: send.chatId,
      targetId: send.id,
      subject,
      text,
      replyMarkup: keyboard,
      dedupKey: `edit:${id}`,
      nextAttemptAt: now,
      createdAt: now,
    });
  }

  /**
   * Brings every message about `subject` to the new text and keyboard. A send not yet sent
   * is rewritten in place; for a sent one a pending edit is written, or the pending edit
   * already queued for it is replaced (edits coalesce). Returns how many messages changed.
   */
  async function editSubject(
    subject: string,
    text: string,
    keyboard: InlineKeyboard | null,
    now: Date,
    tx: DbOrTx = db,
  ): Promise<number> {
    const sends = await tx
      .select({ id: deliveries.id, chatId: deliveries.chatId, status: deliveries.status })
      .from(deliveries)
      .where(and(eq(deliveries.subject, subject), eq(deliveries.kind, "send")));
    let changed = 0;
    for (const s of sends) {
      if (s.status === "dead" || s.status === "superseded") continue;
      if (s.status === "pending") {
        await tx
          .update(deliveries)
          .set({ text, replyMarkup: keyboard })
          .where(eq(deliveries.id, s.id));
      } else {
        await queueEdit(s, subject, text, keyboard, now, tx);
      }
      changed++;
    }
    return changed;
  }

  return {
    editSubject,

    /** Inserts a `send` delivery, due at `now`; ignored when the dedup key exists. */
    async enqueue(m: NewMessage, now: Date, tx: DbOrTx = db): Promise<void> {
      await tx
        .insert(deliveries)
        .values({
          id: ulid(),
          kind: "send",
          chatId: await currentChat(m.chatId, tx),
          threadId: m.threadId ?? null,
          subject: m.subject ?? null,
          text: m.text,
          replyMarkup: m.keyboard ?? null,
          disableNotification: m.disableNotification ?? false,
          dedupKey: m.dedupKey,
          nextAttemptAt: now,
          createdAt: now,
        })
        .onConflictDoNothing({ target: deliveries.dedupKey });
    },

    /**
     * Retires the messages of `subject` before a newer one is queued: a send still waiting
     * is superseded (never sent: the newer message says it all); a sent one gets its last
     * text without buttons. Both move to `retiredSubject`, so later edits of `subject` reach
     * only the newer message.
     */
    async retireSubject(
      subject: string,
      retiredSubject: string,
      text: string,
      now: Date,
      tx: DbOrTx = db,
    ): Promise<void> {
      await tx
        .update(deliveries)
        .set({ status: "superseded" })
        .where(
          and(
            eq(deliveries.subject, subject),
            eq(deliveries.kind, "send"),
            eq(deliveries.status, "pending"),
          ),
        );
      await editSubject(subject, text, null, now, tx);
      await tx
        .update(deliveries)
        .set({ subject: retiredSubject })
        .where(and(eq(deliveries.subject, subject), eq(deliveries.kind, "send")));
    },

    /** Forgets the cached chat migrations (after {@link OutboxQueue.migrateChat}). */
    resetChatCache(): void {
      migrated = undefined;
    },
  };
}

import { and, eq, inArray, isNull, like, lte, or, type SQL, sql } from "drizzle-orm";
import { monotonicFactory } from "ulid";
import { type Db, type DbOrTx, rowsOf } from "../../db/client.ts";
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

/** The new text and keyboard of every message about one subject (see `editSubjects`). */
export interface SubjectEdit {
  subject: string;
  text: string;
  keyboard: InlineKeyboard | null;
  /**
   * The subject is over (an alert resolved before its first message went out): a send not
   * yet made is superseded instead of rewritten, so nobody is told about something that has
   * already ended; messages already sent are edited as usual.
   */
  dropUnsent?: boolean;
}

/** A jsonb parameter (null stays SQL null). */
const jsonbParam = (v: unknown) =>
  v === null || v === undefined ? sql`null::jsonb` : sql`${JSON.stringify(v)}::jsonb`;

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

  /** The `send` row of `m`, due at `now` (one builder for single and bulk enqueues). */
  async function sendRow(m: NewMessage, now: Date, tx: DbOrTx) {
    return {
      id: ulid(),
      kind: "send" as const,
      chatId: await currentChat(m.chatId, tx),
      threadId: m.threadId ?? null,
      subject: m.subject ?? null,
      text: m.text,
      replyMarkup: m.keyboard ?? null,
      disableNotification: m.disableNotification ?? false,
      dedupKey: m.dedupKey,
      nextAttemptAt: now,
      createdAt: now,
    };
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
   * is rewritten in place (superseded instead with `opts.dropUnsent`, see
   * {@link SubjectEdit}); for a sent one a pending edit is written, or the pending edit
   * already queued for it is replaced (edits coalesce). Returns how many messages changed.
   */
  async function editSubject(
    subject: string,
    text: string,
    keyboard: InlineKeyboard | null,
    now: Date,
    tx: DbOrTx = db,
    opts: { dropUnsent?: boolean } = {},
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
          .set(opts.dropUnsent ? { status: "superseded" } : { text, replyMarkup: keyboard })
          .where(eq(deliveries.id, s.id));
      } else {
        await queueEdit(s, subject, text, keyboard, now, tx);
      }
      changed++;
    }
    return changed;
  }

  /**
   * {@link editSubject} for many subjects at once, with one write per kind of change rather
   * than per message: one read of their sends, one update of the unsent ones, one fold into
   * the pending edits of the sent ones and one insert of the edits left. Returns how many
   * messages changed.
   */
  async function editSubjects(edits: SubjectEdit[], now: Date, tx: DbOrTx = db): Promise<number> {
    if (edits.length === 0) return 0;
    const bySubject = new Map(edits.map((e) => [e.subject, e]));
    const sends = await tx
      .select({
        id: deliveries.id,
        chatId: deliveries.chatId,
        status: deliveries.status,
        subject: deliveries.subject,
      })
      .from(deliveries)
      .where(and(inArray(deliveries.subject, [...bySubject.keys()]), eq(deliveries.kind, "send")));
    const unsent: SQL[] = [];
    const dropped: string[] = [];
    const sent: { id: string; chatId: number; edit: SubjectEdit }[] = [];
    for (const s of sends) {
      const edit = bySubject.get(s.subject ?? "");
      if (!edit || s.status === "dead" || s.status === "superseded") continue;
      if (s.status === "pending" && edit.dropUnsent) dropped.push(s.id);
      else if (s.status === "pending") {
        unsent.push(sql`(${s.id}::text, ${edit.text}::text, ${jsonbParam(edit.keyboard)})`);
      } else sent.push({ id: s.id, chatId: s.chatId, edit });
    }
    if (dropped.length > 0) {
      await tx
        .update(deliveries)
        .set({ status: "superseded" })
        .where(inArray(deliveries.id, dropped));
    }
    if (unsent.length > 0) {
      await tx.execute(sql`update ${deliveries} set text = v.text, reply_markup = v.markup
        from (values ${sql.join(unsent, sql`, `)}) as v(id, text, markup)
        where ${deliveries.id} = v.id`);
    }
    if (sent.length > 0) {
      // Fold into unclaimed pending edits of the same messages (edits coalesce) …
      const targets = sent.map(
        (s) => sql`(${s.id}::text, ${s.edit.text}::text, ${jsonbParam(s.edit.keyboard)})`,
      );
      const folded =
        await tx.execute(sql`update ${deliveries} set text = v.text, reply_markup = v.markup
        from (values ${sql.join(targets, sql`, `)}) as v(target, text, markup)
        where ${deliveries.targetId} = v.target and ${deliveries.status} = 'pending'
          and (${deliveries.lockedUntil} is null or ${deliveries.lockedUntil} <= ${now.toISOString()}::timestamptz)
        returning ${deliveries.targetId} as target`);
      const done = new Set(rowsOf(folded).map((r) => String(r.target)));
      // … and queue a new edit for each message that had none.
      const rows = sent
        .filter((s) => !done.has(s.id))
        .map((s) => {
          const id = ulid();
          return {
            id,
            kind: "edit" as const,
            chatId: s.chatId,
            targetId: s.id,
            subject: s.edit.subject,
            text: s.edit.text,
            replyMarkup: s.edit.keyboard,
            dedupKey: `edit:${id}`,
            nextAttemptAt: now,
            createdAt: now,
          };
        });
      if (rows.length > 0) await tx.insert(deliveries).values(rows);
    }
    return dropped.length + unsent.length + sent.length;
  }

  return {
    editSubject,
    editSubjects,

    /**
     * {@link enqueue} for many messages in one statement; each is ignored when its dedup key
     * exists. Their ids follow the order of `messages`.
     */
    async enqueueMany(messages: NewMessage[], now: Date, tx: DbOrTx = db): Promise<void> {
      if (messages.length === 0) return;
      const rows = [];
      for (const m of messages) rows.push(await sendRow(m, now, tx));
      await tx.insert(deliveries).values(rows).onConflictDoNothing({ target: deliveries.dedupKey });
    },

    /** Inserts a `send` delivery, due at `now`; ignored when the dedup key exists. */
    async enqueue(m: NewMessage, now: Date, tx: DbOrTx = db): Promise<void> {
      await tx
        .insert(deliveries)
        .values(await sendRow(m, now, tx))
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

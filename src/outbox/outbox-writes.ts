import { like } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.ts";
import { deliveries, type InlineKeyboard, kv } from "../../db/schema/index.ts";
import { insertRowsText, jsonRows, statement } from "../../db/statement.ts";
import { monotonicFactory } from "../ids.ts";
import { markQueued } from "./queued-in.ts";

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

/** Unsent sends of the subjects `$1` superseded: newer messages about them follow. */
const supersedeSends = statement(
  "deliveries_supersede_sends",
  `update deliveries set status = 'superseded'
   where subject = any($1::text[]) and kind = 'send' and status = 'pending'`,
);

/** The sends of subject `$1[i]` moved to subject `$2[i]`, out of reach of later edits. */
const moveSends = statement(
  "deliveries_move_sends",
  `update deliveries d set subject = r.retired
   from unnest($1::text[], $2::text[]) as r(subject, retired)
   where d.subject = r.subject and d.kind = 'send'`,
);

/** The messages of one subject to retire (see `retireSubjects`). */
export interface SubjectRetirement {
  subject: string;
  /** Where its sends move, e.g. `alert:<id>#2`. */
  retiredSubject: string;
  /** The last text of its sent messages, shown without buttons. */
  text: string;
}

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

// The statements of every batched edit and enqueue, fixed text (db/statement.ts).
/**
 * Every message about many subjects brought up to date in one statement. `$1`: a JSON array
 * of `{subject, text, markup, drop_unsent}`; `$2`: now; `$3`: the subjects again, as an
 * array (so the planner sees how few they are and reads them by index). Per send of those
 * subjects that is neither dead nor superseded: a pending (unsent) one is rewritten, or superseded with
 * `drop_unsent`; for a sent one, an unclaimed pending edit of it is rewritten (edits
 * coalesce). Returns those sends (`id, chat_id, status, subject` as they were before the
 * statement; `rewritten`: the update of unsent sends reached it; `folded`: a pending edit of
 * it was rewritten); the caller queues an edit for each of the others. An update skips a
 * row that a concurrent claim changed since the snapshot (it re-checks `status` on the
 * newest version: PostgreSQL manual, Transaction Isolation, Read Committed), so a send
 * claimed meanwhile is neither rewritten nor lost. Data-modifying CTEs all run, once, on one snapshot
 * (PostgreSQL manual, "WITH Queries", data-modifying statements); the two updates touch
 * different rows (sends, edits).
 */
const editMany = statement(
  "deliveries_edit_many",
  `with v as (
     select * from json_to_recordset($1::json)
       as v(subject text, text text, markup jsonb, drop_unsent boolean)
   ),
   s as (
     select d.id, d.chat_id, d.status, d.subject from deliveries d
     where d.subject = any($3::text[]) and d.kind = 'send'
       and d.status not in ('dead', 'superseded')
   ),
   unsent as (
     update deliveries d set
       text = case when v.drop_unsent then d.text else v.text end,
       reply_markup = case when v.drop_unsent then d.reply_markup else v.markup end,
       status = case when v.drop_unsent then 'superseded' else d.status end
     from s join v on s.subject = v.subject
     where d.id = s.id and s.status = 'pending' and d.status = 'pending'
     returning d.id
   ),
   folded as (
     update deliveries e set text = v.text, reply_markup = v.markup
     from s join v on s.subject = v.subject
     where s.status <> 'pending' and e.target_id = s.id and e.status = 'pending'
       and (e.locked_until is null or e.locked_until <= $2::timestamptz)
     returning e.target_id
   )
   select s.id, s.chat_id, s.status, s.subject,
     exists (select 1 from unsent u where u.id = s.id) as rewritten,
     exists (select 1 from folded f where f.target_id = s.id) as folded
   from s`,
);
/**
 * The columns a new send or edit sets, each present in every row (a key left out would
 * insert null); the rest take their defaults (pending, 0 attempts).
 */
const NEW_ROW_COLUMNS = [
  "id",
  "kind",
  "chatId",
  "threadId",
  "targetId",
  "subject",
  "text",
  "replyMarkup",
  "disableNotification",
  "dedupKey",
  "nextAttemptAt",
  "createdAt",
] as const;
const insertEdits = statement(
  "deliveries_insert_edits",
  insertRowsText(deliveries, { columns: NEW_ROW_COLUMNS }),
);
/** A send whose dedup key exists already is ignored (a retried ingest). */
const insertSends = statement(
  "deliveries_insert_sends",
  insertRowsText(deliveries, {
    columns: NEW_ROW_COLUMNS,
    suffix: "on conflict (dedup_key) do nothing",
  }),
);

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

  /**
   * `send` deliveries for many messages in one statement, due at `now`; each is ignored when
   * its dedup key exists. Their ids follow the order of `messages`.
   */
  async function enqueueMany(messages: NewMessage[], now: Date, tx: DbOrTx = db): Promise<void> {
    if (messages.length === 0) return;
    const rows = [];
    for (const m of messages) rows.push(await sendRow(m, now, tx));
    await insertSends.run(tx, [jsonRows(deliveries, rows)]);
    markQueued(tx);
  }

  /**
   * Brings every message about `subject` to the new text and keyboard: {@link editSubjects}
   * of one subject. A send not yet sent is rewritten in place (superseded instead with
   * `opts.dropUnsent`, see {@link SubjectEdit}); for a sent one a pending edit is written, or
   * the pending edit already queued for it is replaced (edits coalesce). Returns how many
   * messages changed.
   */
  function editSubject(
    subject: string,
    text: string,
    keyboard: InlineKeyboard | null,
    now: Date,
    tx: DbOrTx = db,
    opts: { dropUnsent?: boolean } = {},
  ): Promise<number> {
    return editSubjects([{ subject, text, keyboard, dropUnsent: opts.dropUnsent }], now, tx);
  }

  /**
   * {@link editSubject} for many subjects at once, in one statement ({@link editMany}: the
   * sends read, the unsent ones rewritten or dropped, the pending edits of the sent ones
   * folded) plus one insert of the edits left. Returns how many messages changed.
   */
  async function editSubjects(edits: SubjectEdit[], now: Date, tx: DbOrTx = db): Promise<number> {
    if (edits.length === 0) return 0;
    const bySubject = new Map(edits.map((e) => [e.subject, e]));
    const changes = [...bySubject.values()].map((e) => ({
      subject: e.subject,
      text: e.text,
      markup: e.keyboard,
      drop_unsent: e.dropUnsent === true,
    }));
    const sends = await editMany.run(tx, [
      JSON.stringify(changes),
      now.toISOString(),
      changes.map((c) => c.subject),
    ]);
    // A new edit for each sent message that had no pending edit to fold into.
    const rows = [];
    for (const s of sends) {
      const edit = bySubject.get(String(s.subject));
      // Done: an unsent send rewritten (or dropped), or a pending edit folded into. A send
      // that was pending when read but claimed by a worker before the update reached it is
      // being sent with its old text: it gets an edit, like any sent message.
      if (!edit || s.rewritten === true || s.folded === true) continue;
      const id = ulid();
      rows.push({
        id,
        kind: "edit" as const,
        chatId: Number(s.chat_id),
        threadId: null,
        targetId: String(s.id),
        subject: edit.subject,
        text: edit.text,
        replyMarkup: edit.keyboard,
        disableNotification: false,
        dedupKey: `edit:${id}`,
        nextAttemptAt: now,
        createdAt: now,
      });
    }
    if (rows.length > 0) {
      await insertEdits.run(tx, [jsonRows(deliveries, rows)]);
      markQueued(tx);
    }
    return sends.length;
  }

  /**
   * Retires the messages of many subjects (each once) before newer ones are queued, in three
   * statements whatever their number: the unsent sends superseded, the sent ones edited to
   * their last text without buttons, then all moved to their retired subjects (see
   * `retireSubject`).
   */
  async function retireSubjects(
    list: readonly SubjectRetirement[],
    now: Date,
    tx: DbOrTx = db,
  ): Promise<void> {
    if (list.length === 0) return;
    const subjects = list.map((r) => r.subject);
    await supersedeSends.run(tx, [subjects]);
    await editSubjects(
      list.map((r) => ({ subject: r.subject, text: r.text, keyboard: null })),
      now,
      tx,
    );
    await moveSends.run(tx, [subjects, list.map((r) => r.retiredSubject)]);
  }

  return {
    editSubject,
    editSubjects,

    enqueueMany,

    /** Inserts a `send` delivery, due at `now`; ignored when the dedup key exists. */
    async enqueue(m: NewMessage, now: Date, tx: DbOrTx = db): Promise<void> {
      await enqueueMany([m], now, tx);
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
      await retireSubjects([{ subject, retiredSubject, text }], now, tx);
    },

    retireSubjects,

    /** Forgets the cached chat migrations (after {@link OutboxQueue.migrateChat}). */
    resetChatCache(): void {
      migrated = undefined;
    },
  };
}

import { and, asc, count, eq, inArray, isNull, lte, min, or, sql } from "drizzle-orm";
import { ulid } from "ulid";
import type { Db, DbOrTx } from "../../db/client.ts";
import { type DeliveryRow, deliveries, type InlineKeyboard } from "../../db/schema/index.ts";

/** A message to put in the outbox. */
export interface NewMessage {
  chatId: number;
  text: string;
  keyboard?: InlineKeyboard | null;
  /** `alert:<id>` and the like: later edits of the subject find this message by it. */
  subject?: string;
  /** Unique; a second enqueue with the same key is ignored. */
  dedupKey: string;
  disableNotification?: boolean;
}

/** Counts shown in /status, the admin API and /metrics. */
export interface OutboxStats {
  pending: number;
  dead: number;
  sent: number;
  /** Age in ms of the oldest pending delivery, 0 when none. */
  oldestPendingMs: number;
}

/**
 * Data access for the durable Telegram outbox (DESIGN.md, Outbox). Methods take an optional
 * transaction so that an event, its incident change and its deliveries commit together.
 */
export type OutboxRepository = ReturnType<typeof createOutboxRepository>;

/** Builds the outbox repository. */
export function createOutboxRepository(db: Db) {
  return {
    /** Inserts a `send` delivery, due at `now`; ignored when the dedup key exists. */
    async enqueue(m: NewMessage, now: Date, tx: DbOrTx = db): Promise<void> {
      await tx
        .insert(deliveries)
        .values({
          id: ulid(),
          kind: "send",
          chatId: m.chatId,
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
     * Brings every message about `subject` to the new text and keyboard. A send not yet sent
     * is rewritten in place; for a sent one a pending edit is written, or the pending edit
     * already queued for it is replaced (edits coalesce). Returns how many rows changed.
     */
    async editSubject(
      subject: string,
      text: string,
      keyboard: InlineKeyboard | null,
      now: Date,
      tx: DbOrTx = db,
    ): Promise<number> {
      const sends = await tx
        .select()
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
          // sending or sent: queue an edit; fold it into an unclaimed pending edit if one exists.
          const folded = await tx
            .update(deliveries)
            .set({ text, replyMarkup: keyboard })
            .where(
              and(
                eq(deliveries.targetId, s.id),
                eq(deliveries.status, "pending"),
                or(isNull(deliveries.lockedUntil), lte(deliveries.lockedUntil, now)),
              ),
            )
            .returning({ id: deliveries.id });
          if (folded.length === 0) {
            const id = ulid();
            await tx.insert(deliveries).values({
              id,
              kind: "edit",
              chatId: s.chatId,
              targetId: s.id,
              subject,
              text,
              replyMarkup: keyboard,
              dedupKey: `edit:${id}`,
              nextAttemptAt: now,
              createdAt: now,
            });
          }
        }
        changed++;
      }
      return changed;
    },

    /**
     * Claims up to `limit` due deliveries for `workerId` for `leaseMs`: pending ones whose
     * time has come, and `sending` ones whose lease ran out (their worker died). Uses
     * `FOR UPDATE SKIP LOCKED` so several workers never claim the same row.
     */
    async claim(
      workerId: string,
      now: Date,
      leaseMs: number,
      limit: number,
    ): Promise<DeliveryRow[]> {
      const due = db
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(
          or(
            and(eq(deliveries.status, "pending"), lte(deliveries.nextAttemptAt, now)),
            and(eq(deliveries.status, "sending"), lte(deliveries.lockedUntil, now)),
          ),
        )
        .orderBy(asc(deliveries.nextAttemptAt), asc(deliveries.id))
        .limit(limit)
        .for("update", { skipLocked: true });
      return db
        .update(deliveries)
        .set({
          status: "sending",
          lockedBy: workerId,
          lockedUntil: new Date(now.getTime() + leaseMs),
        })
        .where(inArray(deliveries.id, due))
        .returning();
    },

    /** Marks a claimed delivery sent (one statement: the at-least-once window). */
    async markSent(id: string, telegramMessageId: number | null, now: Date): Promise<void> {
      await db
        .update(deliveries)
        .set({ status: "sent", telegramMessageId, sentAt: now, lockedUntil: null, lockedBy: null })
        .where(eq(deliveries.id, id));
    },

    /** Puts a claimed delivery back for a later attempt, recording why. */
    async retryLater(
      id: string,
      at: Date,
      error: string | null,
      opts: { countAttempt: boolean },
    ): Promise<void> {
      await db
        .update(deliveries)
        .set({
          status: "pending",
          nextAttemptAt: at,
          lastError: error,
          lockedUntil: null,
          lockedBy: null,
          ...(opts.countAttempt && { attempts: sql`${deliveries.attempts} + 1` }),
        })
        .where(eq(deliveries.id, id));
    },

    /** Gives a delivery up: it will not be tried again. */
    async markDead(id: string, error: string): Promise<void> {
      await db
        .update(deliveries)
        .set({
          status: "dead",
          lastError: error,
          lockedUntil: null,
          lockedBy: null,
          attempts: sql`${deliveries.attempts} + 1`,
        })
        .where(eq(deliveries.id, id));
    },

    /** Rewrites the chat of every unsent delivery to a migrated group's new id. */
    async migrateChat(fromChatId: number, toChatId: number): Promise<void> {
      await db
        .update(deliveries)
        .set({ chatId: toChatId })
        .where(
          and(
            eq(deliveries.chatId, fromChatId),
            inArray(deliveries.status, ["pending", "sending"]),
          ),
        );
    },

    /** One delivery by id. */
    async get(id: string): Promise<DeliveryRow | undefined> {
      const [row] = await db.select().from(deliveries).where(eq(deliveries.id, id));
      return row;
    },

    /** Counts by state and the oldest pending age. */
    async stats(now: Date): Promise<OutboxStats> {
      const rows = await db
        .select({ status: deliveries.status, n: count(), oldest: min(deliveries.createdAt) })
        .from(deliveries)
        .groupBy(deliveries.status);
      const by = new Map(rows.map((r) => [r.status, r]));
      const queued = (by.get("pending")?.n ?? 0) + (by.get("sending")?.n ?? 0);
      const oldest = [by.get("pending")?.oldest, by.get("sending")?.oldest]
        .filter((d): d is Date => d instanceof Date)
        .map((d) => d.getTime());
      return {
        pending: queued,
        dead: by.get("dead")?.n ?? 0,
        sent: by.get("sent")?.n ?? 0,
        oldestPendingMs: oldest.length ? Math.max(0, now.getTime() - Math.min(...oldest)) : 0,
      };
    },

    /** Recent deliveries for the admin API, newest first. */
    async list(opts: { status?: DeliveryRow["status"]; limit: number }): Promise<DeliveryRow[]> {
      const q = db.select().from(deliveries);
      const filtered = opts.status ? q.where(eq(deliveries.status, opts.status)) : q;
      return filtered.orderBy(sql`${deliveries.id} desc`).limit(opts.limit);
    },
  };
}

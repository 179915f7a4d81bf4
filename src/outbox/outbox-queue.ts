import { and, asc, eq, gt, inArray, lte, notInArray, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { type DeliveryRow, deliveries, kv } from "../../db/schema/index.ts";
import { CHAT_MIGRATION_KEY } from "./outbox-writes.ts";

/** How {@link OutboxQueue.claim} picks rows. */
export interface ClaimOptions {
  workerId: string;
  now: Date;
  leaseMs: number;
  /** At most this many rows overall. */
  limit: number;
  /** At most this many rows of one chat (oldest first), so one busy chat cannot fill a batch. */
  perChat?: number;
  /** Chats not to claim now (their pacing slot has not come, or a lane is still busy). */
  excludeChats?: readonly number[];
}

/** Advisory lock (one bigint key) serialising outbox claims; see db/client.ts for the others. */
const CLAIM_LOCK = 7_262_017;

/**
 * A claimed delivery as its worker holds it: the row's `locked_by` and `locked_until` as the
 * claim set them. A settlement applies only while the row still carries both: once the lease
 * ran out and another worker (or this one, again) claimed the row, a late answer to the
 * first claim changes nothing.
 */
export type Claim = Pick<DeliveryRow, "id" | "lockedBy" | "lockedUntil">;

/** The row is still held by the claim `c` (status `sending`, same owner, same lease). */
function held(c: Claim) {
  return and(
    eq(deliveries.id, c.id),
    eq(deliveries.status, "sending"),
    c.lockedBy === null ? sql`false` : eq(deliveries.lockedBy, c.lockedBy),
    c.lockedUntil === null ? sql`false` : eq(deliveries.lockedUntil, c.lockedUntil),
  );
}

/**
 * The worker's half of the outbox: claim with a lease, then settle each claimed row as
 * sent, retried later, dead, or released. Each settlement is one statement, conditional on
 * the claim still being held (see {@link Claim}); it resolves to whether it applied.
 */
export function createOutboxQueue(db: Db, onChatMigrated: () => void) {
  return {
    /**
     * Claims due deliveries for `workerId` for `leaseMs`: pending ones whose time has come,
     * and `sending` ones whose lease ran out (their worker died), of chats no worker holds
     * rows of under a running lease. `FOR UPDATE SKIP LOCKED` keeps two workers (or
     * replicas) from claiming the same row.
     */
    async claim(o: ClaimOptions): Promise<DeliveryRow[]> {
      const isDue = or(
        and(eq(deliveries.status, "pending"), lte(deliveries.nextAttemptAt, o.now)),
        and(eq(deliveries.status, "sending"), lte(deliveries.lockedUntil, o.now)),
      );
      const conditions = [inArray(deliveries.status, ["pending", "sending"])];
      if (o.excludeChats?.length) {
        conditions.push(notInArray(deliveries.chatId, [...o.excludeChats]));
      }
      // One worker at a time per chat, across replicas: a chat whose rows another worker holds
      // under a running lease waits, so its messages keep their order.
      conditions.push(
        notInArray(
          deliveries.chatId,
          db
            .select({ chatId: deliveries.chatId })
            .from(deliveries)
            .where(and(eq(deliveries.status, "sending"), gt(deliveries.lockedUntil, o.now))),
        ),
      );
      // Per-chat order is creation order, kept also when a row was put back for later (a
      // 429, a retry): a row is due only when every earlier unsent row of its chat is due too,
      // so a row waiting for its retry holds back the rest of its chat instead of being passed.
      const chatOrder = sql`partition by ${deliveries.chatId} order by ${deliveries.createdAt}, ${deliveries.id}`;
      const ranked = db
        .select({
          id: deliveries.id,
          rank: sql<number>`row_number() over (${chatOrder})`.as("rank"),
          blocked:
            sql<boolean>`bool_or(not (${isDue})) over (${chatOrder} rows between unbounded preceding and current row)`.as(
              "blocked",
            ),
        })
        .from(deliveries)
        .where(and(...conditions))
        .as("ranked");
      const firstPerChat = db
        .select({ id: ranked.id })
        .from(ranked)
        .where(and(lte(ranked.rank, o.perChat ?? o.limit), sql`not ${ranked.blocked}`));
      const due = db
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(and(isDue, inArray(deliveries.id, firstPerChat)))
        .orderBy(asc(deliveries.createdAt), asc(deliveries.id))
        .limit(o.limit)
        .for("update", { skipLocked: true });
      // Claims run one at a time across replicas (a transaction-scoped advisory lock), so each
      // sees the rows the previous one took and no chat is split between two workers.
      const rows = await db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${CLAIM_LOCK})`);
        return tx
          .update(deliveries)
          .set({
            status: "sending",
            lockedBy: o.workerId,
            lockedUntil: new Date(o.now.getTime() + o.leaseMs),
          })
          .where(inArray(deliveries.id, due))
          .returning();
      });
      return rows.sort(
        (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1),
      );
    },

    /** Marks a claimed delivery sent (one statement: the at-least-once window). */
    async markSent(c: Claim, telegramMessageId: number | null, now: Date): Promise<boolean> {
      const rows = await db
        .update(deliveries)
        .set({ status: "sent", telegramMessageId, sentAt: now, lockedUntil: null, lockedBy: null })
        .where(held(c))
        .returning({ id: deliveries.id });
      return rows.length > 0;
    },

    /** Puts a claimed delivery back for a later attempt, recording why. */
    async retryLater(
      c: Claim,
      at: Date,
      error: string | null,
      opts: { countAttempt: boolean },
    ): Promise<boolean> {
      const rows = await db
        .update(deliveries)
        .set({
          status: "pending",
          nextAttemptAt: at,
          lastError: error,
          lockedUntil: null,
          lockedBy: null,
          ...(opts.countAttempt && { attempts: sql`${deliveries.attempts} + 1` }),
        })
        .where(held(c))
        .returning({ id: deliveries.id });
      return rows.length > 0;
    },

    /**
     * Returns claimed rows that were not handled (the worker is stopping) to pending at once,
     * so nobody waits for their lease. Only rows still held by `workerId` are touched.
     */
    async release(ids: readonly string[], workerId: string): Promise<void> {
      if (ids.length === 0) return;
      await db
        .update(deliveries)
        .set({ status: "pending", lockedUntil: null, lockedBy: null })
        .where(
          and(
            inArray(deliveries.id, [...ids]),
            eq(deliveries.status, "sending"),
            eq(deliveries.lockedBy, workerId),
          ),
        );
    },

    /** Gives a claimed delivery up: it will not be tried again. */
    async markDead(c: Claim, error: string): Promise<boolean> {
      const rows = await db
        .update(deliveries)
        .set({
          status: "dead",
          lastError: error,
          lockedUntil: null,
          lockedBy: null,
          attempts: sql`${deliveries.attempts} + 1`,
        })
        .where(held(c))
        .returning({ id: deliveries.id });
      return rows.length > 0;
    },

    /**
     * A group became a supergroup: rewrites every unsent delivery to the new chat id and
     * remembers the move, so later messages go to the new id straight away.
     */
    async migrateChat(fromChatId: number, toChatId: number, now: Date): Promise<void> {
      await db.transaction(async (tx) => {
        await tx
          .insert(kv)
          .values({ key: `${CHAT_MIGRATION_KEY}${fromChatId}`, value: toChatId, updatedAt: now })
          .onConflictDoUpdate({ target: kv.key, set: { value: toChatId, updatedAt: now } });
        await tx
          .update(deliveries)
          .set({ chatId: toChatId })
          .where(
            and(
              eq(deliveries.chatId, fromChatId),
              inArray(deliveries.status, ["pending", "sending"]),
            ),
          );
      });
      onChatMigrated();
    },

    /**
     * Puts a dead delivery back to pending, due at `now`, with its attempts reset (an
     * operator's retry). Returns the row, or undefined when it is not dead.
     */
    async requeueDead(id: string, now: Date): Promise<DeliveryRow | undefined> {
      const [row] = await db
        .update(deliveries)
        .set({ status: "pending", attempts: 0, nextAttemptAt: now })
        .where(and(eq(deliveries.id, id), eq(deliveries.status, "dead")))
        .returning();
      return row;
    },

    /** One delivery by id. */
    async get(id: string): Promise<DeliveryRow | undefined> {
      const [row] = await db.select().from(deliveries).where(eq(deliveries.id, id));
      return row;
    },
  };
}

/** The worker's view of the outbox. */
export type OutboxQueue = ReturnType<typeof createOutboxQueue>;

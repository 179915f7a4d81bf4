import { createHash } from "node:crypto";
import { lt } from "drizzle-orm";
import type { MiddlewareFn } from "grammy";
import type { Db } from "../../db/client.ts";
import { botUpdates } from "../../db/schema/index.ts";
import type { BotContext } from "./context.ts";

/** How long a taken update id is remembered: Telegram keeps unconfirmed updates 24 h. */
export const UPDATE_MEMORY_MS = 24 * 3_600_000;

/**
 * A digest of an update's content (sha256 of its JSON, 16 base64url characters): the same
 * update delivered twice has the same one.
 */
export function updateDigest(update: object): string {
  return createHash("sha256").update(JSON.stringify(update)).digest("base64url").slice(0, 16);
}

/** Bot API updates taken by some replica (`bot_updates`). */
export type UpdateLedger = ReturnType<typeof createUpdateLedger>;

/**
 * Builds the ledger. A new poller after a crash gets again the updates its predecessor
 * handled but had not confirmed yet (getUpdates confirms by the next call's `offset`), and
 * Telegram redelivers a webhook update it saw no answer to: with every replica writing the
 * ids it takes here, each update is handled by one replica, once.
 */
export function createUpdateLedger(deps: { db: Db; replicaId: string }) {
  return {
    /**
     * True when the update (`updateId` with this content digest, see {@link updateDigest})
     * was not taken before; it is taken now, by this replica.
     */
    async take(updateId: number, digest: string, now: Date): Promise<boolean> {
      const rows = await deps.db
        .insert(botUpdates)
        .values({ updateId, digest, replicaId: deps.replicaId, takenAt: now })
        .onConflictDoNothing()
        .returning({ id: botUpdates.updateId });
      return rows.length > 0;
    },
    /** Forgets ids taken before `before`; returns how many. */
    async pruneBefore(before: Date): Promise<number> {
      const gone = await deps.db
        .delete(botUpdates)
        .where(lt(botUpdates.takenAt, before))
        .returning({ id: botUpdates.updateId });
      return gone.length;
    },
  };
}

/**
 * Middleware that lets each update through once across replicas. The id is taken before the
 * update is handled, so a replica dying mid-handling leaves that one update unanswered
 * (the person sends it again) rather than handled twice. Ids older than
 * {@link UPDATE_MEMORY_MS} are deleted, at most once an hour.
 */
export function onceOnly(ledger: UpdateLedger, now: () => Date): MiddlewareFn<BotContext> {
  let prunedAt = 0;
  return async function takeUpdate(ctx, next) {
    const at = now();
    if (at.getTime() - prunedAt > 3_600_000) {
      prunedAt = at.getTime();
      ledger
        .pruneBefore(new Date(at.getTime() - UPDATE_MEMORY_MS))
        .catch((err: unknown) => ctx.log.warn({ err: String(err) }, "pruning update ids failed"));
    }
    if (!(await ledger.take(ctx.update.update_id, updateDigest(ctx.update), at))) {
      ctx.log.info("update already taken by a replica; skipped");
      return;
    }
    await next();
  };
}

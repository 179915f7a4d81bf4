import type { Db } from "../../db/client.ts";
import { createOutboxQueue } from "./outbox-queue.ts";
import { lastShown } from "./outbox-shown.ts";
import { createOutboxStats } from "./outbox-stats.ts";
import { createOutboxWrites } from "./outbox-writes.ts";

export type { ClaimOptions } from "./outbox-queue.ts";
export type { OutboxStats } from "./outbox-stats.ts";
export type { NewMessage } from "./outbox-writes.ts";

/**
 * Data access for the durable Telegram outbox (docs/architecture.md, The path of an alert):
 * writes (enqueue, edit, retire), the worker's queue (claim with a lease, settle), read-only
 * stats and what each subject shows.
 */
export type OutboxRepository = ReturnType<typeof createOutboxRepository>;

/** Builds the outbox repository over `db`. */
export function createOutboxRepository(db: Db) {
  const writes = createOutboxWrites(db);
  return {
    ...writes,
    ...createOutboxQueue(db, () => writes.resetChatCache()),
    ...createOutboxStats(db),
    lastShown,
  };
}

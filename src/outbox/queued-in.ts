import type { DbOrTx } from "../../db/client.ts";

/** Transactions (or the database itself) that inserted delivery rows. */
const queued = new WeakSet<DbOrTx>();

/**
 * Notes that `tx` inserted delivery rows, so whoever commits it wakes the outbox worker
 * ({@link queuedIn}). Edits folded into rows already queued need no wake-up: the worker
 * knows those rows' due times, and polls at least every second anyway.
 */
export function markQueued(tx: DbOrTx): void {
  queued.add(tx);
}

/** True when {@link markQueued} was called with `tx`. */
export function queuedIn(tx: DbOrTx): boolean {
  return queued.has(tx);
}

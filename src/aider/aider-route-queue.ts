import { asc, inArray, like } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.ts";
import { kv } from "../../db/schema/index.ts";
import type { EventInput } from "../events/event.ts";
import type { EventRouter } from "../events/event-router.ts";
import type { Logger } from "../logger.ts";

/** kv key prefix of router events waiting to be routed. */
export const ROUTE_KEY_PREFIX = "aider:route:";

/** Most pending events routed in one router batch. */
const DRAIN_BATCH = 500;

type StoredInput = Omit<EventInput, "occurredAt"> & { occurredAt: string };

/**
 * Hands aider events to the EventRouter exactly when they were first stored. The router runs
 * its own transaction, so the events it should see are written to the `kv` table in the
 * transaction that stores the aider events (`aider:route:<seq key>`), and routed after the
 * commit; a row is deleted once the router has taken it. A crash or a router failure in
 * between leaves the rows, and the next drain (the next ingest, or start) routes them: no
 * event is lost, and a replay of the aider events (already stored) queues nothing. An event
 * can be routed twice only if the process dies between the router's commit and the delete,
 * or if two replicas drain at the same moment; the router then counts it as a repeat.
 */
export function createAiderRouteQueue(deps: {
  db: Db;
  router: Pick<EventRouter, "ingest">;
  logger: Logger;
}) {
  let running: Promise<number> = Promise.resolve(0);

  async function drainOnce(): Promise<number> {
    let routed = 0;
    for (;;) {
      const rows = await deps.db
        .select()
        .from(kv)
        .where(like(kv.key, `${ROUTE_KEY_PREFIX}%`))
        .orderBy(asc(kv.key))
        .limit(DRAIN_BATCH);
      if (rows.length === 0) return routed;
      const inputs = rows.map((r) => {
        const s = r.value as StoredInput;
        return { ...s, occurredAt: new Date(s.occurredAt) };
      });
      await deps.router.ingest(inputs);
      await deps.db.delete(kv).where(
        inArray(
          kv.key,
          rows.map((r) => r.key),
        ),
      );
      routed += rows.length;
      if (rows.length < DRAIN_BATCH) return routed;
    }
  }

  return {
    /**
     * Queues `inputs` (in this order) inside the caller's transaction. `key` is unique per
     * batch (a ULID: later batches sort after earlier ones, to the millisecond), so drains
     * keep the arrival order.
     */
    async add(key: string, inputs: EventInput[], now: Date, tx: DbOrTx): Promise<void> {
      if (inputs.length === 0) return;
      await tx.insert(kv).values(
        inputs.map((e, i) => ({
          key: `${ROUTE_KEY_PREFIX}${key}:${String(i).padStart(4, "0")}`,
          value: { ...e, occurredAt: e.occurredAt.toISOString() } satisfies StoredInput,
          updatedAt: now,
        })),
      );
    },

    /**
     * Routes everything queued, one drain at a time in this process. Returns how many events
     * were routed; a failure is logged and leaves the rest for the next drain.
     */
    drain(): Promise<number> {
      running = running.then(
        () =>
          drainOnce().catch((err: unknown) => {
            deps.logger.warn({ err }, "aider events not routed yet; will retry on the next drain");
            return 0;
          }),
        () => 0,
      );
      return running;
    },
  };
}

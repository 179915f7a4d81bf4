import { monotonicFactory } from "ulid";
import type { events } from "../../db/schema/index.ts";
import type { EventInput } from "./event.ts";
import type { Routed } from "./event-router.ts";

/**
 * Event ids: monotonic ULIDs (time-ordered like plain ones; within one millisecond the
 * random part is incremented instead of drawn again, which costs less in a storm).
 */
const ulid = monotonicFactory();

/** The `events` row that records `e`, whatever happened to it (with a new ULID). */
export function eventRow(e: EventInput, r: Routed, receivedAt: Date): typeof events.$inferInsert {
  return {
    id: ulid(),
    ...e, // EventInput's fields are the row's columns, named alike
    receivedAt,
    outcome: r.outcome,
    alertId: r.alertId,
    muteId: r.muteId,
  };
}

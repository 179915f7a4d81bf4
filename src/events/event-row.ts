import type { events } from "../../db/schema/index.ts";
import { monotonicFactory } from "../ids.ts";
import type { EventInput } from "./event.ts";
import type { Routed } from "./event-router.ts";

/**
 * Event ids: monotonic ULIDs (time-ordered like plain ones; within one millisecond the
 * random part is incremented instead of drawn again, which costs less in a storm).
 */
const ulid = monotonicFactory();

/** The `events` row that records `e`, whatever happened to it (with a new ULID). */
export function eventRow(e: EventInput, r: Routed, receivedAt: Date): typeof events.$inferInsert {
  // EventInput's fields are the row's columns, named alike, but for the webhook's group
  // (the alert keeps its group by `alerts.group_id`).
  const { group, ...columns } = e;
  return {
    id: ulid(),
    ...columns,
    receivedAt,
    outcome: r.outcome,
    alertId: r.alertId,
    muteId: r.muteId,
  };
}

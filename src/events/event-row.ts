import { ulid } from "ulid";
import type { events } from "../../db/schema/index.ts";
import type { EventInput } from "./event.ts";
import type { Routed } from "./event-router.ts";

/** The `events` row that records `e`, whatever happened to it (with a new ULID). */
export function eventRow(e: EventInput, r: Routed, receivedAt: Date): typeof events.$inferInsert {
  return {
    id: ulid(),
    source: e.source,
    type: e.type,
    severity: e.severity,
    status: e.status,
    title: e.title,
    summary: e.summary,
    labels: e.labels,
    annotations: e.annotations,
    fingerprint: e.fingerprint,
    generatorUrl: e.generatorUrl,
    occurredAt: e.occurredAt,
    receivedAt,
    outcome: r.outcome,
    alertId: r.alertId,
    muteId: r.muteId,
  };
}

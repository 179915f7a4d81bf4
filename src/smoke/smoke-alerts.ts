import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { alerts } from "../../db/schema/index.ts";
import type { EventInput } from "../events/event.ts";
import type { EventRouter } from "../events/event-router.ts";
import { computeFingerprint } from "../events/fingerprint.ts";
import { CHECK_LABELS, type CheckName, type CheckResult } from "./smoke-types.ts";

/** Source of every event a smoke check raises. */
export const SMOKE_SOURCE = "smoke";

/** The event a check raises: `smoke_<check>`, critical, labelled with the check's name. */
export function smokeEvent(
  r: Pick<CheckResult, "name" | "detail">,
  status: "firing" | "resolved",
  now: Date,
): EventInput {
  const type = `smoke_${r.name}`;
  const labels = { alertname: type, check: r.name };
  return {
    source: SMOKE_SOURCE,
    type,
    severity: "critical",
    status,
    title: `Smoke check critical: ${CHECK_LABELS[r.name as CheckName] ?? r.name}`,
    summary: r.detail,
    labels,
    annotations: {},
    fingerprint: computeFingerprint(SMOKE_SOURCE, type, labels),
    generatorUrl: null,
    occurredAt: now,
  };
}

/**
 * Turns smoke results into events through the EventRouter, so they are
 * deduplicated, muted and inhibited like any alert: every critical result is ingested as a
 * firing event (repeats inside the dedup window only count); a check that is no longer
 * critical while its smoke alert still fires is ingested as resolved, which resolves the
 * alert and its incident.
 */
export async function syncSmokeAlerts(
  deps: { db: Db; router: Pick<EventRouter, "ingest"> },
  results: readonly CheckResult[],
  now: Date,
): Promise<number> {
  const firing = await deps.db
    .select({ fingerprint: alerts.fingerprint })
    .from(alerts)
    .where(and(eq(alerts.source, SMOKE_SOURCE), eq(alerts.status, "firing")));
  const live = new Set(firing.map((a) => a.fingerprint));
  const inputs: EventInput[] = [];
  for (const r of results) {
    if (r.status === "critical") inputs.push(smokeEvent(r, "firing", now));
    else {
      const resolved = smokeEvent(r, "resolved", now);
      if (live.has(resolved.fingerprint)) inputs.push(resolved);
    }
  }
  if (inputs.length > 0) await deps.router.ingest(inputs);
  return inputs.length;
}

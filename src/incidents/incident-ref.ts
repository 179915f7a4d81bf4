import { desc, inArray } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.ts";
import { alerts, incidents } from "../../db/schema/index.ts";

/** How people name an incident: its sequential number, `#17`. */
export function incidentRef(i: { number: number }): string {
  return `#${i.number}`;
}

/**
 * Labels that say where an alert fires, most specific first: Prometheus' `instance`
 * (https://prometheus.io/docs/concepts/jobs_instances/), then the usual host, pod, service
 * and job labels.
 */
const PLACE_LABELS = ["instance", "host", "hostname", "pod", "service", "job"] as const;

/** Where an alert fires (`db-1:9100`), from its labels; undefined when none says. */
export function alertPlace(labels: Readonly<Record<string, string>>): string | undefined {
  for (const name of PLACE_LABELS) {
    const v = labels[name];
    if (v) return v;
  }
  return undefined;
}

/** What a list shows of an incident besides its row: its number and where it fires. */
export interface IncidentTag {
  number: number;
  /** {@link alertPlace} of its newest alert; undefined when none says. */
  place?: string;
}

/**
 * Numbers and places of incidents `ids` in one pass (two queries): the place comes from each
 * incident's newest alert. Unknown ids are absent from the map.
 */
export async function incidentTags(
  db: DbOrTx,
  ids: readonly string[],
): Promise<Map<string, IncidentTag>> {
  const out = new Map<string, IncidentTag>();
  const unique = [...new Set(ids)];
  if (unique.length === 0) return out;
  const rows = await db
    .select({ id: incidents.id, number: incidents.number })
    .from(incidents)
    .where(inArray(incidents.id, unique));
  for (const r of rows) out.set(r.id, { number: r.number });
  const linked = await db
    .select({ incidentId: alerts.incidentId, labels: alerts.labels })
    .from(alerts)
    .where(inArray(alerts.incidentId, unique))
    .orderBy(desc(alerts.startedAt), desc(alerts.id));
  for (const a of linked) {
    const tag = a.incidentId ? out.get(a.incidentId) : undefined;
    if (tag && tag.place === undefined) tag.place = alertPlace(a.labels);
  }
  return out;
}

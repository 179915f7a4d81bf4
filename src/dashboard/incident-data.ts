import { and, desc, gte, lt, or } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../../db/client.ts";
import { type IncidentRow, incidents } from "../../db/schema/index.ts";
import { incidentStats } from "../reports/report-stats.ts";
import type { IncidentItem, IncidentsResponse } from "./api-types.ts";
import type { BucketRun } from "./buckets.ts";

/** Incidents listed on the Incidents page at most. */
const ITEM_LIMIT = 50;

/** An incident as the API shows it. */
export function incidentItem(r: IncidentRow): IncidentItem {
  return {
    id: r.id,
    short_id: r.id.slice(-8),
    title: r.title,
    severity: r.severity,
    status: r.status,
    opened_at: r.openedAt.toISOString(),
    acknowledged_at: r.acknowledgedAt?.toISOString() ?? null,
    acknowledged_by: r.acknowledgedBy,
    resolved_at: r.resolvedAt?.toISOString() ?? null,
    resolved_by: r.resolvedBy,
  };
}

/** Incidents opened, acknowledged or resolved in `[from, to)`, newest opened first. */
export async function incidentsTouching(db: Db, from: Date, to: Date): Promise<IncidentRow[]> {
  const within = (c: PgColumn) => and(gte(c, from), lt(c, to));
  return db
    .select()
    .from(incidents)
    .where(
      or(
        within(incidents.openedAt),
        within(incidents.acknowledgedAt),
        within(incidents.resolvedAt),
      ),
    )
    .orderBy(desc(incidents.openedAt));
}

const minutes = (ms: number | null) => (ms === null ? null : Math.round(ms / 6000) / 10);

/**
 * The Incidents page's data (pure): per local day the incidents opened, acknowledged and
 * resolved that day with that day's MTTA and MTTR (the report's definitions,
 * src/reports/report-stats.ts `incidentStats`), the same over the whole window, and a list.
 * @param rows incidents touching the window (see {@link incidentsTouching}).
 * @param unresolvedNow open + acknowledged incidents at this moment.
 */
export function incidentsData(
  b: BucketRun,
  rows: readonly IncidentRow[],
  unresolvedNow: number,
): IncidentsResponse {
  const days = b.startsMs.map((ms, i) =>
    incidentStats(rows, {
      from: new Date(ms),
      to: new Date(b.startsMs[i + 1] ?? b.to.getTime()),
    }),
  );
  const all = incidentStats(rows, { from: b.from, to: b.to });
  return {
    buckets: b.json,
    opened: days.map((d) => d.opened),
    acknowledged: days.map((d) => d.acknowledged),
    resolved: days.map((d) => d.resolved),
    mtta_min: days.map((d) => minutes(d.mttaMs)),
    mttr_min: days.map((d) => minutes(d.mttrMs)),
    summary: {
      opened: all.opened,
      acknowledged: all.acknowledged,
      resolved: all.resolved,
      resolved_by_hand: all.resolvedByHand,
      mtta_ms: all.mttaMs,
      mttr_ms: all.mttrMs,
      unresolved_now: unresolvedNow,
    },
    items: rows.slice(0, ITEM_LIMIT).map(incidentItem),
  };
}

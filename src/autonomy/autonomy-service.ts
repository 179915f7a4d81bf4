import { and, count, eq, gte, lt, ne, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { alerts, events, humanDecisions } from "../../db/schema/index.ts";
import { formatTime } from "../telegram-format.ts";
import type { Clock } from "../types.ts";

/**
 * The autonomy index of a period (docs/triage.md, "Autonomy index"): of the notified events
 * (`notified`: firing warnings and criticals that produced a message; not deduplicated
 * repeats, not info, not resolutions), `decided` needed a human decision: a person
 * acknowledged, resolved or muted their alert, or acknowledged or resolved its incident, or
 * approved or rejected a heal plan for it. `index` = 1 − decided ÷ notified, 0..1, as of
 * now; null when nothing was notified.
 */
export interface AutonomyPoint {
  notified: number;
  decided: number;
  index: number | null;
}

/** One local day of the series (`date` = `YYYY-MM-DD` in the report time zone). */
export interface AutonomyDay extends AutonomyPoint {
  date: string;
}

/** The daily series the admin API and the dashboard show. */
export interface AutonomySeries {
  timeZone: string;
  /** Oldest first, one entry per local day (days without events included, index null). */
  days: AutonomyDay[];
  /** The whole series summed. */
  total: AutonomyPoint;
}

const DAY_MS = 86_400_000;

/** `notified` and `decided` → an {@link AutonomyPoint}. */
export function autonomyPoint(notified: number, decided: number): AutonomyPoint {
  return { notified, decided, index: notified === 0 ? null : (notified - decided) / notified };
}

/** `YYYY-MM-DD` keys of the `days` local days ending with the one holding `now`, oldest first. */
export function localDays(now: Date, days: number, timeZone: string): string[] {
  const [y, m, d] = formatTime(now, timeZone).slice(0, 10).split("-").map(Number);
  return Array.from({ length: days }, (_, i) =>
    new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, (d ?? 1) - (days - 1 - i))).toISOString().slice(0, 10),
  );
}

/** The autonomy index from the events table and the human decisions. */
export type AutonomyService = ReturnType<typeof createAutonomyService>;

/** Builds the autonomy service (read-only). */
export function createAutonomyService(deps: { db: Db; clock: Clock; timeZone: string }) {
  const { db } = deps;
  const notified = and(
    eq(events.outcome, "notified"),
    eq(events.status, "firing"),
    ne(events.severity, "info"),
  );
  const decided = sql`exists (select 1 from ${humanDecisions} d
    where d.alert_id = ${events.alertId}
       or (${alerts.incidentId} is not null and d.incident_id = ${alerts.incidentId}))`;
  const counts = {
    n: count(),
    decided: sql<number>`count(*) filter (where ${decided})`.mapWith(Number),
  };

  return {
    /** The index over events received in `[from, to)`. */
    async window(w: { from: Date; to: Date }): Promise<AutonomyPoint> {
      const [r] = await db
        .select(counts)
        .from(events)
        .leftJoin(alerts, eq(alerts.id, events.alertId))
        .where(and(notified, gte(events.receivedAt, w.from), lt(events.receivedAt, w.to)));
      return autonomyPoint(r?.n ?? 0, r?.decided ?? 0);
    },

    /**
     * The index per local day (`REPORT_TIMEZONE`) for the `days` days ending today (or the
     * day holding `to`), oldest first.
     */
    async series(days: number, to: Date = deps.clock.now()): Promise<AutonomySeries> {
      const tz = deps.timeZone;
      const keys = localDays(to, days, tz);
      // A day of margin either side covers any zone offset (and today's rest); the keys pick
      // the days.
      const from = new Date(to.getTime() - (days + 1) * DAY_MS);
      const until = new Date(to.getTime() + DAY_MS);
      const day = sql<string>`to_char(${events.receivedAt} at time zone ${tz}, 'YYYY-MM-DD')`;
      const rows = await db
        .select({ day, ...counts })
        .from(events)
        .leftJoin(alerts, eq(alerts.id, events.alertId))
        .where(and(notified, gte(events.receivedAt, from), lt(events.receivedAt, until)))
        .groupBy(sql`1`);
      const byDay = new Map(rows.map((r) => [r.day, r]));
      const list = keys.map((date) => {
        const r = byDay.get(date);
        return { date, ...autonomyPoint(r?.n ?? 0, r?.decided ?? 0) };
      });
      const sum = (k: "notified" | "decided") => list.reduce((a, b) => a + b[k], 0);
      return { timeZone: tz, days: list, total: autonomyPoint(sum("notified"), sum("decided")) };
    },
  };
}

import { and, count, eq, gte, lt, or, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../../db/client.ts";
import {
  alerts,
  type CooldownEventRow,
  events,
  healAudit,
  incidents,
  type UsageRow,
} from "../../db/schema/index.ts";
import { dimensionKey, groupUsage, summarize } from "../proxy/stats.ts";
import type { SmokeStore } from "../smoke/smoke-store.ts";
import {
  AUTO_RESOLVED_PREFIX,
  alertStats,
  autonomyStats,
  cooldownStats,
  healPlanStats,
  incidentStats,
} from "./report-stats.ts";
import type {
  ReportCore,
  ReportData,
  ReportKind,
  ReportSection,
  ReportWindow,
} from "./report-types.ts";

/** Adds a section to every report (later modules: agents, coding sessions). */
export type ReportSectionProvider = (w: ReportWindow) => Promise<ReportSection | undefined>;

/** Dependencies of {@link createReportSource}. */
export interface ReportSourceDeps {
  db: Db;
  /** Hourly usage rows with `from <= hour < to`, after flushing memory (src/proxy). */
  usage: (w: ReportWindow) => Promise<UsageRow[]>;
  /** Cooldowns started after `from` (src/proxy cooldown store `since`). */
  cooldownsSince: (from: Date) => Promise<CooldownEventRow[]>;
  smoke: Pick<SmokeStore, "distribution">;
  timeZone: string;
  sections?: ReportSectionProvider[];
}

const DAY_MS = 86_400_000;

/** Report window lengths. */
export const REPORT_SPAN_MS: Record<ReportKind, number> = { daily: DAY_MS, weekly: 7 * DAY_MS };

/** Gathers report data from the database (issue 6, item 4); rendering is report-message.ts. */
export type ReportSource = ReturnType<typeof createReportSource>;

/** Builds the report source. */
export function createReportSource(deps: ReportSourceDeps) {
  const { db } = deps;
  const received = (w: ReportWindow) =>
    and(gte(events.receivedAt, w.from), lt(events.receivedAt, w.to));

  async function incidentRows(w: ReportWindow) {
    const within = (c: PgColumn) => and(gte(c, w.from), lt(c, w.to));
    return db
      .select()
      .from(incidents)
      .where(
        or(
          within(incidents.openedAt),
          within(incidents.acknowledgedAt),
          within(incidents.resolvedAt),
        ),
      );
  }

  async function autonomy(w: ReportWindow) {
    const human = sql`${events.muteId} is not null or ${alerts.acknowledgedBy} is not null
      or ${alerts.resolvedBy} is not null or ${incidents.acknowledgedBy} is not null
      or (${incidents.resolvedBy} is not null and ${incidents.resolvedBy} not like ${`${AUTO_RESOLVED_PREFIX}%`})`;
    const [r] = await db
      .select({
        total: count(),
        human: sql<number>`count(*) filter (where ${human})`.mapWith(Number),
      })
      .from(events)
      .leftJoin(alerts, eq(alerts.id, events.alertId))
      .leftJoin(incidents, eq(incidents.id, alerts.incidentId))
      .where(received(w));
    return autonomyStats(r?.total ?? 0, r?.human ?? 0);
  }

  /** Heal plan steps in the window, from the audit trail (issue 5). */
  async function healPlans(w: ReportWindow) {
    const steps = await db
      .select({ step: healAudit.step, n: count() })
      .from(healAudit)
      .where(and(gte(healAudit.at, w.from), lt(healAudit.at, w.to)))
      .groupBy(healAudit.step);
    return healPlanStats(steps);
  }

  async function core(w: ReportWindow): Promise<ReportCore> {
    const outcomes = await db
      .select({ outcome: events.outcome, n: count() })
      .from(events)
      .where(received(w))
      .groupBy(events.outcome);
    const usage = await deps.usage(w);
    const extra = await Promise.all((deps.sections ?? []).map((p) => p(w)));
    return {
      window: w,
      incidents: incidentStats(await incidentRows(w), w),
      alerts: alertStats(outcomes),
      autonomy: await autonomy(w),
      usage: {
        total: summarize(usage),
        byBackend: groupUsage(usage, dimensionKey("backend")),
        byAgent: groupUsage(usage, dimensionKey("agent")),
      },
      cooldowns: cooldownStats(await deps.cooldownsSince(new Date(w.from.getTime() - 1)), w),
      smoke: await deps.smoke.distribution(w.from, w.to),
      healPlans: await healPlans(w),
      sections: extra.filter((s): s is ReportSection => s !== undefined),
    };
  }

  return {
    core,

    /** The autonomy index of a window (also read by the dashboard). */
    autonomy,

    /**
     * Data for a report whose window ends at `to`: the 24 h (daily) or 7 days (weekly)
     * before it; a weekly report also carries the 7 days before that.
     */
    async build(kind: ReportKind, to: Date): Promise<ReportData> {
      const span = REPORT_SPAN_MS[kind];
      const from = new Date(to.getTime() - span);
      const current = await core({ from, to });
      const previous =
        kind === "weekly"
          ? await core({ from: new Date(from.getTime() - span), to: from })
          : undefined;
      return { kind, timeZone: deps.timeZone, current, previous };
    },
  };
}

import { and, count, gte, lt, or } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../../db/client.ts";
import {
  type CooldownEventRow,
  events,
  healAudit,
  incidents,
  type UsageRow,
} from "../../db/schema/index.ts";
import type { AutonomyService } from "../autonomy/autonomy-service.ts";
import { dimensionKey, groupUsage, summarize } from "../proxy/stats.ts";
import type { SmokeStore } from "../smoke/smoke-store.ts";
import { TRIAGE_AGENT } from "../triage/model-client.ts";
import type { TriageStore } from "../triage/triage-store.ts";
import { alertStats, cooldownStats, healPlanStats, incidentStats } from "./report-stats.ts";
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
  /** The autonomy index of a window and its daily trend. */
  autonomy: Pick<AutonomyService, "window" | "series">;
  /** Triage counts; without it reports have no triage line. */
  triage?: Pick<TriageStore, "counts">;
  timeZone: string;
  sections?: ReportSectionProvider[];
}

const DAY_MS = 86_400_000;

/** Report window lengths. */
export const REPORT_SPAN_MS: Record<ReportKind, number> = { daily: DAY_MS, weekly: 7 * DAY_MS };

/** Gathers report data from the database; rendering is src/notifications/views/digest.ts. */
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

  /** The window's index and, for the current window, the 7 local days ending with it. */
  async function autonomy(w: ReportWindow, trend: boolean) {
    const point = await deps.autonomy.window(w);
    if (!trend) return point;
    const series = await deps.autonomy.series(7, new Date(w.to.getTime() - 1));
    return { ...point, trend: series.days };
  }

  async function triage(w: ReportWindow, usage: UsageRow[]) {
    if (!deps.triage) return undefined;
    const counts = await deps.triage.counts(w.from, w.to);
    const cost = usage
      .filter((u) => u.agent === TRIAGE_AGENT.name)
      .reduce((a, u) => a + u.costUsd, 0);
    return { ...counts, costUsd: Math.round(cost * 1e6) / 1e6 };
  }

  /** Heal plan steps in the window, from the audit trail. */
  async function healPlans(w: ReportWindow) {
    const steps = await db
      .select({ step: healAudit.step, n: count() })
      .from(healAudit)
      .where(and(gte(healAudit.at, w.from), lt(healAudit.at, w.to)))
      .groupBy(healAudit.step);
    return healPlanStats(steps);
  }

  async function core(w: ReportWindow, trend = false): Promise<ReportCore> {
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
      autonomy: await autonomy(w, trend),
      usage: {
        total: summarize(usage),
        byBackend: groupUsage(usage, dimensionKey("backend")),
        byAgent: groupUsage(usage, dimensionKey("agent")),
      },
      cooldowns: cooldownStats(await deps.cooldownsSince(new Date(w.from.getTime() - 1)), w),
      smoke: await deps.smoke.distribution(w.from, w.to),
      healPlans: await healPlans(w),
      triage: await triage(w, usage),
      sections: extra.filter((s): s is ReportSection => s !== undefined),
    };
  }

  return {
    core,

    /**
     * Data for a report whose window ends at `to`: the 24 h (daily) or 7 days (weekly)
     * before it; a weekly report also carries the 7 days before that.
     */
    async build(kind: ReportKind, to: Date): Promise<ReportData> {
      const span = REPORT_SPAN_MS[kind];
      const from = new Date(to.getTime() - span);
      const current = await core({ from, to }, true);
      const previous =
        kind === "weekly"
          ? await core({ from: new Date(from.getTime() - span), to: from })
          : undefined;
      return { kind, timeZone: deps.timeZone, current, previous };
    },
  };
}

import type { Db } from "../../db/client.ts";
import type { CooldownEventRow, SmokeRunRow, UsageRow } from "../../db/schema/index.ts";
import type { AutonomyService } from "../autonomy/autonomy-service.ts";
import type { AgentView } from "../heartbeats/agent-views.ts";
import { summarize } from "../proxy/stats.ts";
import type { Clock } from "../types.ts";
import { agentsData, beatCounts, sessionsStarted } from "./agent-data.ts";
import type {
  AgentsResponse,
  IncidentsResponse,
  OverviewResponse,
  ProxyRange,
  ProxyResponse,
} from "./api-types.ts";
import { dayBuckets, hourBuckets, localMidnight } from "./buckets.ts";
import { incidentsData, incidentsTouching } from "./incident-data.ts";
import {
  overviewData,
  type ReplicaInfo,
  thisProcess,
  unresolvedIncidents,
} from "./overview-data.ts";
import { proxyBuckets, proxyData } from "./proxy-data.ts";

/** Where the dashboard reads from; each source is a service built elsewhere in src/app.ts. */
export interface DashboardDataDeps {
  db: Db;
  clock: Clock;
  /** Zone of the daily buckets and of labels (`REPORT_TIMEZONE`). */
  timeZone: string;
  /** Hourly usage rows with `from <= hour < to`, after flushing what is in memory. */
  usage: (from: Date, to: Date) => Promise<UsageRow[]>;
  /** Cooldowns that started after `from`. */
  cooldownsSince: (from: Date) => Promise<CooldownEventRow[]>;
  /** The autonomy index of a window and per local day (src/autonomy, docs/triage.md). */
  autonomy: Pick<AutonomyService, "window" | "series">;
  /** Smoke runs with `from <= ran_at < to`, oldest first. */
  smokeRuns: (from: Date, to: Date) => Promise<SmokeRunRow[]>;
  /** Heartbeating agents as the watchdog sees them. */
  agents: () => AgentView[];
  /** Replicas from a membership service; absent → this process alone. */
  replicas?: () => Promise<ReplicaInfo[]>;
  /** When this process started (the lone replica's start). */
  startedAt: Date;
}

/** Days of the autonomy trend on the Overview. */
const AUTONOMY_DAYS = 14;
const DAY_MS = 86_400_000;

/** The dashboard's read side: one method per page of the Mini App. */
export type DashboardData = ReturnType<typeof createDashboardData>;

/** Builds the read side. Every method reads the database afresh (no cache). */
export function createDashboardData(deps: DashboardDataDeps) {
  const { db, clock, timeZone } = deps;

  return {
    /** Open incidents, autonomy (24 h and 14 days), smoke, replicas, proxy today. */
    async overview(): Promise<OverviewResponse> {
      const now = clock.now();
      const days = dayBuckets(now, AUTONOMY_DAYS, timeZone);
      const hours = hourBuckets(now, 24, timeZone);
      return overviewData({
        now,
        unresolved: await unresolvedIncidents(db),
        autonomy: await deps.autonomy.window({ from: new Date(now.getTime() - DAY_MS), to: now }),
        autonomyDaily: await deps.autonomy.series(AUTONOMY_DAYS, now),
        days,
        smokeRuns: await deps.smokeRuns(hours.from, hours.to),
        hours,
        replicas: deps.replicas ? await deps.replicas() : [thisProcess(deps.startedAt)],
        proxyToday: summarize(await deps.usage(localMidnight(now, timeZone), hours.to)),
      });
    },

    /** Requests, tokens, cost, p95 and cooldowns for 72 hours or 30 days. */
    async proxy(range: ProxyRange): Promise<ProxyResponse> {
      const b = proxyBuckets(range, clock.now(), timeZone);
      const rows = await deps.usage(b.from, b.to);
      const cooldowns = await deps.cooldownsSince(new Date(b.from.getTime() - 1));
      return proxyData(range, b, rows, cooldowns);
    },

    /** The last 30 local days of incidents with MTTA and MTTR. */
    async incidents(): Promise<IncidentsResponse> {
      const b = dayBuckets(clock.now(), 30, timeZone);
      const rows = await incidentsTouching(db, b.from, b.to);
      const unresolved = await unresolvedIncidents(db);
      return incidentsData(b, rows, unresolved.length);
    },

    /** Agents, beats per hour (48 h), aider sessions and proxy cost per agent (30 days). */
    async agents(): Promise<AgentsResponse> {
      const now = clock.now();
      const hours = hourBuckets(now, 48, timeZone);
      const days = dayBuckets(now, 30, timeZone);
      return agentsData({
        agents: deps.agents(),
        hours,
        beats: await beatCounts(db, hours.from, hours.to),
        days,
        sessions: await sessionsStarted(db, days.from, days.to),
        usage: await deps.usage(days.from, days.to),
      });
    },
  };
}

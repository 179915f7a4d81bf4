import { hostname } from "node:os";
import { desc, inArray } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { type IncidentRow, incidents, type SmokeRunRow } from "../../db/schema/index.ts";
import type { AutonomyPoint, AutonomySeries } from "../autonomy/autonomy-service.ts";
import type { UsageSummary } from "../proxy/stats.ts";
import { CHECK_NAMES } from "../smoke/smoke-types.ts";
import { formatTime } from "../telegram-format.ts";
import type { OverviewResponse, ReplicaItem } from "./api-types.ts";
import { type BucketRun, bucketIndex, zeros } from "./buckets.ts";
import { incidentItem } from "./incident-data.ts";

/** Unresolved incidents listed on the Overview at most. */
const OPEN_LIMIT = 10;

/**
 * A running commandpost process as a membership service reports it. Until replicas register
 * themselves, the dashboard shows this process alone ({@link thisProcess}).
 */
export interface ReplicaInfo {
  id: string;
  host: string;
  pid: number | null;
  startedAt: Date;
  /** Last renewal of its membership, or null when nothing renews one. */
  lastSeenAt: Date | null;
  /** Whether it is the process answering. */
  self: boolean;
}

/** This process as the only replica: `host:pid`, started at `startedAt`. */
export function thisProcess(startedAt: Date): ReplicaInfo {
  const host = hostname();
  return {
    id: `${host}:${process.pid}`,
    host,
    pid: process.pid,
    startedAt,
    lastSeenAt: null,
    self: true,
  };
}

/** Open and acknowledged incidents, newest first. */
export async function unresolvedIncidents(db: Db): Promise<IncidentRow[]> {
  return db
    .select()
    .from(incidents)
    .where(inArray(incidents.status, ["open", "acknowledged"]))
    .orderBy(desc(incidents.openedAt));
}

/** Inputs of {@link overviewData}, read by the dashboard service. */
export interface OverviewInput {
  now: Date;
  unresolved: readonly IncidentRow[];
  /** The autonomy index of the last 24 h. */
  autonomy: AutonomyPoint;
  /** The autonomy index per local day; placed on `days` by date. */
  autonomyDaily: AutonomySeries;
  days: BucketRun;
  /** Smoke runs in `hours`, oldest first. */
  smokeRuns: readonly SmokeRunRow[];
  hours: BucketRun;
  replicas: readonly ReplicaInfo[];
  proxyToday: UsageSummary;
}

function smokeData(runs: readonly SmokeRunRow[], hours: BucketRun): OverviewResponse["smoke"] {
  const n = hours.startsMs.length;
  const hourly = { buckets: hours.json, ok: zeros(n), warning: zeros(n), critical: zeros(n) };
  for (const r of runs) {
    const i = bucketIndex(hours, r.ranAt);
    if (i >= 0) hourly[r.overall][i] = (hourly[r.overall][i] ?? 0) + 1;
  }
  const last = runs.at(-1);
  const known = CHECK_NAMES.filter((c) => last?.checks[c] !== undefined);
  const others = Object.keys(last?.checks ?? {}).filter((c) => !known.includes(c as never));
  return {
    overall: last?.overall ?? null,
    ran_at: last?.ranAt.toISOString() ?? null,
    checks: [...known, ...others].map((name) => ({
      name,
      status: last?.checks[name] ?? "skipped",
    })),
    hourly,
  };
}

/** The daily series on the day buckets, matched by local date (a missing day: nothing). */
function autonomyDaily(series: AutonomySeries, days: BucketRun) {
  const byDate = new Map(series.days.map((d) => [d.date, d]));
  const points = days.startsMs.map((ms) =>
    byDate.get(formatTime(new Date(ms), series.timeZone).slice(0, 10)),
  );
  return {
    buckets: days.json,
    index: points.map((p) => p?.index ?? null),
    notified: points.map((p) => p?.notified ?? 0),
  };
}

function replicaItem(r: ReplicaInfo): ReplicaItem {
  return {
    id: r.id,
    host: r.host,
    pid: r.pid,
    started_at: r.startedAt.toISOString(),
    last_seen_at: r.lastSeenAt?.toISOString() ?? null,
    self: r.self,
  };
}

/** The Overview's data (pure). */
export function overviewData(x: OverviewInput): OverviewResponse {
  return {
    generated_at: x.now.toISOString(),
    incidents: {
      open: x.unresolved.filter((i) => i.status === "open").length,
      acknowledged: x.unresolved.filter((i) => i.status === "acknowledged").length,
      items: x.unresolved.slice(0, OPEN_LIMIT).map(incidentItem),
    },
    autonomy: {
      index: x.autonomy.index,
      notified: x.autonomy.notified,
      decided: x.autonomy.decided,
      daily: autonomyDaily(x.autonomyDaily, x.days),
    },
    smoke: smokeData(x.smokeRuns, x.hours),
    replicas: x.replicas.map(replicaItem),
    proxy_today: {
      requests: x.proxyToday.requests,
      tokens: x.proxyToday.prompt_tokens + x.proxyToday.completion_tokens,
      cost_usd: x.proxyToday.cost_usd,
      errors: x.proxyToday.errors,
    },
  };
}

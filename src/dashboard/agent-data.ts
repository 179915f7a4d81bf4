import { and, count, desc, gte, lt, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import {
  type AiderSessionRow,
  agentBeats,
  aiderSessions,
  type UsageRow,
} from "../../db/schema/index.ts";
import type { AgentView } from "../heartbeats/agent-views.ts";
import { dimensionKey, groupUsage } from "../proxy/stats.ts";
import type { AgentItem, AgentsResponse, SessionItem } from "./api-types.ts";
import { type BucketRun, bucketIndex, zeros } from "./buckets.ts";

/** Sessions listed on the Agents page at most. */
const RECENT_SESSIONS = 20;

/** Beats per agent and UTC hour in `[from, to)` (hour = Unix seconds ÷ 3600, zone-free). */
export async function beatCounts(
  db: Db,
  from: Date,
  to: Date,
): Promise<{ agent: string; hourMs: number; n: number }[]> {
  const hour = sql<number>`floor(extract(epoch from ${agentBeats.at}) / 3600)`.mapWith(Number);
  const rows = await db
    .select({ agent: agentBeats.agent, hour, n: count() })
    .from(agentBeats)
    .where(and(gte(agentBeats.at, from), lt(agentBeats.at, to)))
    .groupBy(agentBeats.agent, hour);
  return rows.map((r) => ({ agent: r.agent, hourMs: r.hour * 3_600_000, n: r.n }));
}

/** aider sessions started in `[from, to)`, newest first. */
export async function sessionsStarted(db: Db, from: Date, to: Date): Promise<AiderSessionRow[]> {
  return db
    .select()
    .from(aiderSessions)
    .where(and(gte(aiderSessions.startedAt, from), lt(aiderSessions.startedAt, to)))
    .orderBy(desc(aiderSessions.startedAt));
}

function agentItem(a: AgentView): AgentItem {
  return {
    name: a.name,
    class: a.cls.name,
    state: a.state,
    status: a.status,
    task: a.task,
    round: a.round,
    max_rounds: a.cls.maxRounds,
    last_beat_at: a.lastBeatAt.toISOString(),
    age_s: Math.floor(a.ageMs / 1000),
  };
}

function sessionItem(s: AiderSessionRow): SessionItem {
  return {
    id: s.id,
    started_at: s.startedAt.toISOString(),
    ended_at: s.endedAt?.toISOString() ?? null,
    cwd: s.cwd,
    model: s.model,
    duration_s: s.durationSec,
    tokens_sent: s.tokensSent,
    tokens_received: s.tokensRecv,
    cost_usd: s.costUsd,
    errors: s.errorCount,
    exit_code: s.exitCode,
  };
}

function sessionSeries(days: BucketRun, sessions: readonly AiderSessionRow[]) {
  const n = days.startsMs.length;
  const out = { count: zeros(n), cost_usd: zeros(n), tokens: zeros(n), errors: zeros(n) };
  const totals = { sessions: 0, cost_usd: 0, tokens: 0, duration_s: 0 };
  for (const s of sessions) {
    const i = bucketIndex(days, s.startedAt);
    if (i < 0) continue;
    const tokens = s.tokensSent + s.tokensRecv;
    out.count[i] = (out.count[i] ?? 0) + 1;
    out.cost_usd[i] = (out.cost_usd[i] ?? 0) + s.costUsd;
    out.tokens[i] = (out.tokens[i] ?? 0) + tokens;
    out.errors[i] = (out.errors[i] ?? 0) + s.errorCount;
    totals.sessions++;
    totals.cost_usd += s.costUsd;
    totals.tokens += tokens;
    totals.duration_s += s.durationSec ?? 0;
  }
  const cents = (x: number) => Math.round(x * 1e6) / 1e6;
  return {
    buckets: days.json,
    ...out,
    cost_usd: out.cost_usd.map(cents),
    totals: { ...totals, cost_usd: cents(totals.cost_usd) },
  };
}

/** Inputs of {@link agentsData}, read by the dashboard service. */
export interface AgentsInput {
  agents: readonly AgentView[];
  hours: BucketRun;
  beats: readonly { agent: string; hourMs: number; n: number }[];
  days: BucketRun;
  sessions: readonly AiderSessionRow[];
  usage: readonly UsageRow[];
}

/**
 * The Agents page's data (pure): agents as the watchdog sees them, beats per hour and agent,
 * aider sessions per day with their tokens and cost, and proxy cost per agent (key holder).
 */
export function agentsData(x: AgentsInput): AgentsResponse {
  const perAgent = new Map<string, number[]>();
  for (const b of x.beats) {
    const i = bucketIndex(x.hours, b.hourMs);
    if (i < 0) continue;
    const counts = perAgent.get(b.agent) ?? zeros(x.hours.startsMs.length);
    counts[i] = (counts[i] ?? 0) + b.n;
    perAgent.set(b.agent, counts);
  }
  return {
    agents: x.agents.map(agentItem),
    beats: {
      buckets: x.hours.json,
      series: [...perAgent.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, counts]) => ({ key, counts })),
    },
    sessions: sessionSeries(x.days, x.sessions),
    proxy_cost_by_agent: groupUsage(x.usage, dimensionKey("agent"))
      .map((g) => ({ key: g.key, cost_usd: g.cost_usd, requests: g.requests }))
      .sort((a, b) => b.cost_usd - a.cost_usd || a.key.localeCompare(b.key)),
    recent_sessions: x.sessions.slice(0, RECENT_SESSIONS).map(sessionItem),
  };
}

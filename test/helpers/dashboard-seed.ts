import { eq } from "drizzle-orm";
import { ulid } from "ulid";
import {
  agentBeats,
  aiderSessions,
  alerts,
  cooldownEvents,
  smokeRuns,
  usageHourly,
} from "../../db/schema/index.ts";
import type { App } from "../../src/app.ts";
import type { EventInput } from "../../src/events/event.ts";
import { LATENCY_BUCKETS_MS } from "../../src/proxy/usage.ts";
import type { FakeClock } from "./clock.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MIN = 60_000;

/** What {@link seedDashboard} wrote, for assertions. */
export interface DashboardSeed {
  /** Usage requests whose hour lies in the last 72 hours (current hour included). */
  requests72h: number;
  /** Critical events ingested (each opened an incident) per day offset. */
  incidentDays: number[];
  /** Cooldowns started within the last 72 hours. */
  cooldowns72h: number;
  sessions: number;
  agents: string[];
  /** When each seeded smoke run ran. */
  smokeRanAt: Date[];
}

const BACKENDS = [
  { id: "b-nv", name: "nv-primary-1" },
  { id: "b-or", name: "openrouter-fallback" },
];
const AGENTS = ["architect", "builder"];

/** Usage rows: hourly over the last 72 h, every 3 hours before that back to 30 days. */
function usageRows(end: Date) {
  const current = Math.floor(end.getTime() / HOUR) * HOUR;
  const rows: (typeof usageHourly.$inferInsert)[] = [];
  let requests72h = 0;
  for (let back = 0; back < 30 * 24; back += back < 72 ? 1 : 3) {
    const hour = new Date(current - back * HOUR);
    BACKENDS.forEach((b, bi) => {
      AGENTS.forEach((agent, ai) => {
        const requests = 3 + ((back * 7 + bi * 5 + ai * 3) % 17);
        const fast = Math.ceil(requests * 0.8);
        const buckets = LATENCY_BUCKETS_MS.map(() => 0);
        buckets[6 + bi] = fast; // 500 ms or 1 s
        buckets[8 + bi] = requests - fast; // 2.5 s or 5 s
        if (back < 72) requests72h += requests;
        rows.push({
          backendId: b.id,
          backendName: b.name,
          model: "llama-3.3-70b",
          agent,
          hour,
          requests,
          errors: back % 11 === 0 ? 1 : 0,
          promptTokens: requests * (400 + ai * 100),
          completionTokens: requests * 150,
          costUsd: requests * (bi === 0 ? 0.0006 : 0.0021),
          latencyMsSum: requests * (700 + bi * 900),
          latencyBuckets: buckets,
        });
      });
    });
  }
  return { rows, requests72h };
}

function cooldownRows(end: Date) {
  const offsets = [2, 9, 30, 50, 70, 200, 400]; // hours back
  return offsets.map((h, i) => {
    const startedAt = new Date(end.getTime() - h * HOUR);
    return {
      id: ulid(),
      backendId: BACKENDS[i % 2]?.id ?? "b-nv",
      backendName: BACKENDS[i % 2]?.name ?? "nv-primary-1",
      startedAt,
      endsAt: new Date(startedAt.getTime() + 30_000 * 2 ** (i % 3)),
      strike: 1 + (i % 3),
      retryAfterS: i % 2 ? 20 : null,
      reason: "429 Too Many Requests",
    };
  });
}

function event(day: number, kind: "critical" | "warning" | "info", at: Date): EventInput {
  return {
    source: "alertmanager",
    type: kind === "critical" ? "HighErrorRate" : kind === "warning" ? "HighLatency" : "Deploy",
    severity: kind,
    status: "firing",
    title: kind === "critical" ? `HighErrorRate on momo-app:${80 + day}` : `${kind} ${day}`,
    summary: "seeded",
    labels: { alertname: kind, instance: `momo-app:${80 + day}` },
    annotations: {},
    fingerprint: `seed-${kind}-${day}`,
    generatorUrl: null,
    occurredAt: at,
  };
}

async function alertIdOf(app: App, fingerprint: string): Promise<string> {
  const [a] = await app.database.db
    .select()
    .from(alerts)
    .where(eq(alerts.fingerprint, fingerprint));
  if (!a) throw new Error(`no alert for ${fingerprint}`);
  return a.id;
}

/**
 * Events through the real EventRouter on past days (the fake clock moved there): a critical
 * (an incident), a warning and an info per day; some incidents acknowledged and resolved by a
 * person after a while.
 */
async function seedEvents(app: App, clock: FakeClock, end: Date, days: number[]): Promise<void> {
  for (const d of days) {
    const at = new Date(end.getTime() - d * DAY - 2 * HOUR);
    clock.set(at);
    await app.router.ingest([
      event(d, "critical", at),
      event(d, "warning", at),
      event(d, "info", at),
    ]);
    const critical = await alertIdOf(app, `seed-critical-${d}`);
    if (d % 2 === 0) {
      clock.set(new Date(at.getTime() + (5 + d) * MIN));
      await app.actions.acknowledge(critical, "Ada (@ada_ops, 424242)");
    }
    if (d > 0) {
      clock.set(new Date(at.getTime() + (40 + 10 * d) * MIN));
      await app.actions.resolve(critical, "Ada (@ada_ops, 424242)");
    }
  }
}

function smokeRows(end: Date) {
  return Array.from({ length: 288 }, (_, i) => {
    const overall = i % 50 === 7 ? "critical" : i % 20 === 3 ? "warning" : "ok";
    return {
      id: ulid(),
      ranAt: new Date(end.getTime() - (287 - i) * 5 * MIN - MIN),
      trigger: "schedule" as const,
      overall: overall as "ok" | "warning" | "critical",
      checks: {
        database: "ok",
        outbox_backlog: overall,
        backends: "ok",
        heal_plans: "skipped",
      } as Record<string, "ok" | "warning" | "critical" | "skipped">,
      durationMs: 12,
    };
  });
}

function beatRows(end: Date, agents: string[]) {
  return agents.flatMap((agent, ai) =>
    Array.from({ length: 144 - ai * 40 }, (_, i) => ({
      id: ulid(),
      agent,
      at: new Date(end.getTime() - (i * 20 + 50) * MIN),
      class: "development",
      status: "working" as const,
      task: "BIZ-31 billing export",
      round: 10,
      note: null,
    })),
  );
}

function sessionRows(end: Date) {
  return Array.from({ length: 12 }, (_, i) => {
    const startedAt = new Date(end.getTime() - (i * 2.3 + 0.2) * DAY);
    return {
      id: `seed-session-${i}`,
      startedAt,
      endedAt: new Date(startedAt.getTime() + (10 + i) * MIN),
      cwd: `/srv/repos/momo-app-${i % 3}`,
      model: "openrouter/anthropic/claude-sonnet",
      durationSec: (10 + i) * 60,
      tokensSent: 12_000 + i * 1000,
      tokensRecv: 2_000 + i * 100,
      costUsd: 0.08 + i * 0.01,
      filesChanged: 1 + (i % 4),
      errorCount: i % 5 === 0 ? 1 : 0,
      exitCode: 0,
      updatedAt: end,
    };
  });
}

/**
 * Fills a test app's database with a month of activity ending at `end`: proxy usage and
 * cooldowns, incidents and events (through the EventRouter and incident actions), smoke
 * runs, heartbeats (history rows plus real beats, one agent left to stall) and aider
 * sessions. Leaves the clock at `end`.
 */
export async function seedDashboard(app: App, clock: FakeClock, end: Date): Promise<DashboardSeed> {
  const { db } = app.database;
  const usage = usageRows(end);
  for (let i = 0; i < usage.rows.length; i += 500)
    await db.insert(usageHourly).values(usage.rows.slice(i, i + 500));
  const cooldowns = cooldownRows(end);
  await db.insert(cooldownEvents).values(cooldowns);
  const incidentDays = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 13, 17, 21, 27];
  await seedEvents(app, clock, end, incidentDays);
  const smoke = smokeRows(end);
  await db.insert(smokeRuns).values(smoke);
  const agents = ["architect", "builder", "reviewer"];
  await db.insert(agentBeats).values(beatRows(end, agents));
  await db.insert(aiderSessions).values(sessionRows(end));
  // Real beats: "reviewer" last beat 40 min before `end`, past its 30 min stall threshold.
  clock.set(new Date(end.getTime() - 40 * MIN));
  await app.heartbeats.beat("reviewer", { status: "working", task: "review #7", round: 3 });
  clock.set(end);
  await app.heartbeats.beat("architect", {
    status: "working",
    task: "BIZ-31 billing export",
    round: 12,
  });
  await app.heartbeats.beat("builder", { status: "idle" });
  await app.heartbeats.evaluate();
  return {
    requests72h: usage.requests72h,
    incidentDays,
    cooldowns72h: cooldowns.filter((c) => end.getTime() - c.startedAt.getTime() < 72 * HOUR).length,
    sessions: 12,
    agents,
    smokeRanAt: smoke.map((r) => r.ranAt),
  };
}

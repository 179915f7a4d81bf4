import { performance } from "node:perf_hooks";
import { and, count, eq, gt, gte, inArray, ne, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { deliveries, healPlans, incidents } from "../../db/schema/index.ts";
import { coerceError } from "../errors.ts";
import type { StallFacts } from "../heartbeats/agent-views.ts";
import { checkHeartbeats } from "../heartbeats/heartbeat-check.ts";
import type { OutboxRepository } from "../outbox/outbox-repository.ts";
import type { ScheduleRuns } from "../scheduler/schedule-runs.ts";
import type { Clock } from "../types.ts";
import { checkHealPlans, type HealPlanFacts } from "./checks-heal.ts";
import {
  type BackendFact,
  checkBackends,
  checkCooldowns,
  checkDatabase,
  checkOutboxBacklog,
  checkOutboxDead,
} from "./checks-infra.ts";
import { checkIncidents, checkSchedules, type OpenIncidentFact } from "./checks-ops.ts";
import type { SmokeThresholds } from "./smoke-config.ts";
import { type CheckName, type CheckResult, notConfigured } from "./smoke-types.ts";

/** What the probes read; every read is a query or an in-memory look, nothing is changed. */
export interface SmokeProbeDeps {
  db: Db;
  /** Database round trip (`select 1`), as /readyz does. */
  ping: () => Promise<void>;
  outbox: Pick<OutboxRepository, "stats">;
  /** Backends with live state (src/proxy ProxyModule `live`). */
  backends: () => Promise<BackendFact[]>;
  runs: Pick<ScheduleRuns, "latest">;
  clock: Clock;
  timeZone: string;
  thresholds: SmokeThresholds;
  /** Scheduled slots before this instant are not expected to have run (process start). */
  scheduleSince: Date;
  /** Stalled and escalated agents from the heartbeat watchdog's memory; unset → skipped. */
  heartbeats?: () => StallFacts;
}

const DAY_MS = 86_400_000;

/** Dead deliveries created since `since` (a small query of our own; outbox stats count all). */
async function deadSince(db: Db, since: Date): Promise<number> {
  const [r] = await db
    .select({ n: count() })
    .from(deliveries)
    .where(and(eq(deliveries.status, "dead"), gte(deliveries.createdAt, since)));
  return r?.n ?? 0;
}

/** Unresolved incidents, leaving out those opened by smoke alerts (source `smoke`). */
async function openIncidents(db: Db): Promise<OpenIncidentFact[]> {
  return db
    .select({ status: incidents.status, openedAt: incidents.openedAt })
    .from(incidents)
    .where(
      and(
        ne(incidents.status, "resolved"),
        sql`not exists (select 1 from alerts a where a.incident_id = ${incidents.id} and a.source = 'smoke')`,
      ),
    );
}

/** Pending (unexpired) and running heal plans, and those that failed or reverted in 24 h. */
async function healPlanFacts(db: Db, now: Date): Promise<HealPlanFacts> {
  const rows = await db
    .select({ status: healPlans.status, target: healPlans.target, startedAt: healPlans.startedAt })
    .from(healPlans)
    .where(
      or(
        and(eq(healPlans.status, "pending"), gt(healPlans.expiresAt, now)),
        eq(healPlans.status, "running"),
        and(
          inArray(healPlans.status, ["failed", "reverted"]),
          gte(healPlans.finishedAt, new Date(now.getTime() - DAY_MS)),
        ),
      ),
    );
  const n = (status: string) => rows.filter((r) => r.status === status).length;
  return {
    pending: n("pending"),
    running: rows.filter((r) => r.status === "running"),
    failed24h: n("failed"),
    reverted24h: n("reverted"),
  };
}

/** A probe that has not answered after this long makes its check critical. */
const PROBE_TIMEOUT_MS = 10_000;

/** Runs a check; a probe that throws or hangs makes its check critical with the reason. */
async function guard(name: CheckName, fn: () => Promise<CheckResult>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer in ${PROBE_TIMEOUT_MS} ms`)),
      PROBE_TIMEOUT_MS,
    );
    timer.unref();
  });
  try {
    return await Promise.race([fn(), timeout]);
  } catch (err) {
    return {
      name,
      status: "critical",
      detail: `check failed: ${coerceError(err).message.slice(0, 200)}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs every smoke check once, in {@link CHECK_NAMES} order. The database
 * round trip is measured first, alone (PGlite has one connection: measured among the other
 * reads it would include their time); the rest run together. Each probe is independent: one
 * failing or hanging (the database is down) does not stop the others.
 */
export async function runChecks(d: SmokeProbeDeps): Promise<CheckResult[]> {
  const now = d.clock.now();
  const th = d.thresholds;
  const stallFacts = d.heartbeats;
  const database = await guard("database", async () => {
    const t0 = performance.now();
    await d.ping();
    return checkDatabase(performance.now() - t0, th);
  });
  // Each read shared by two checks; a rejection is reported by the checks that await it.
  const backends = d.backends();
  const stats = d.outbox.stats(now);
  backends.catch(() => {});
  stats.catch(() => {});
  const rest = await Promise.all([
    guard("outbox_backlog", async () => checkOutboxBacklog(await stats, th)),
    guard("outbox_dead", async () => {
      const dead24h = await deadSince(d.db, new Date(now.getTime() - DAY_MS));
      return checkOutboxDead({ dead24h, deadTotal: (await stats).dead }, th);
    }),
    guard("backends", async () => checkBackends(await backends)),
    guard("cooldowns", async () => checkCooldowns(await backends, now, th)),
    guard("incidents", async () => checkIncidents(await openIncidents(d.db), now, th)),
    guard("heal_plans", async () => checkHealPlans(await healPlanFacts(d.db, now), now, th)),
    stallFacts
      ? guard("heartbeats", async () => checkHeartbeats(stallFacts()))
      : Promise.resolve(notConfigured("heartbeats", "no heartbeat service")),
    guard("schedules", async () =>
      checkSchedules(
        await d.runs.latest(),
        { now, since: d.scheduleSince, timeZone: d.timeZone },
        th,
      ),
    ),
  ]);
  return [database, ...rest];
}

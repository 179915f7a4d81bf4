import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config.ts";
import { ConfigError } from "../../src/errors.ts";
import {
  type BackendFact,
  checkBackends,
  checkCooldowns,
  checkDatabase,
  checkOutboxBacklog,
  checkOutboxDead,
} from "../../src/smoke/checks-infra.ts";
import { checkIncidents, checkSchedules, type RunFact } from "../../src/smoke/checks-ops.ts";

const th = loadConfig({}).smoke.thresholds;
const NOW = new Date("2026-11-23T01:00:00Z"); // 09:00 in Asia/Taipei
const MIN = 60_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const backend = (over: Partial<BackendFact>): BackendFact => ({
  name: "nv-1",
  pool: "primary",
  enabled: true,
  state: "healthy",
  cooldown_until: null,
  ...over,
});

describe("smoke checks (pure rules, default thresholds)", () => {
  it("judges the database round trip against 250 ms / 1 s", () => {
    assert.deepEqual(checkDatabase(3.4, th), {
      name: "database",
      status: "ok",
      detail: "round trip 3 ms",
    });
    assert.equal(checkDatabase(300, th).status, "warning");
    assert.equal(checkDatabase(1500, th).status, "critical");
  });

  it("judges the outbox backlog by count and by the oldest age, the worse one wins", () => {
    assert.deepEqual(
      checkOutboxBacklog({ pending: 0, oldestPendingMs: 0 }, th).detail,
      "nothing queued",
    );
    assert.equal(checkOutboxBacklog({ pending: 3, oldestPendingMs: 5_000 }, th).status, "ok");
    assert.equal(checkOutboxBacklog({ pending: 60, oldestPendingMs: 5_000 }, th).status, "warning");
    const stuck = checkOutboxBacklog({ pending: 2, oldestPendingMs: 20 * MIN }, th);
    assert.equal(stuck.status, "critical");
    assert.equal(stuck.detail, "2 queued, oldest 20m");
  });

  it("counts dead deliveries of the last 24 h, showing the total too", () => {
    assert.deepEqual(checkOutboxDead({ dead24h: 0, deadTotal: 0 }, th).detail, "none");
    assert.equal(checkOutboxDead({ dead24h: 0, deadTotal: 5 }, th).status, "ok");
    const one = checkOutboxDead({ dead24h: 1, deadTotal: 5 }, th);
    assert.equal(one.status, "warning");
    assert.equal(one.detail, "1 in the last 24 h (5 in total)");
    assert.equal(checkOutboxDead({ dead24h: 12, deadTotal: 12 }, th).status, "critical");
  });

  it("reports healthy backends per pool: skipped with none, warning when primary is down, critical when all are", () => {
    assert.equal(checkBackends([]).status, "skipped");
    assert.equal(
      checkBackends([backend({ enabled: false })]).detail,
      "not configured (no enabled backends)",
    );
    const fine = checkBackends([
      backend({}),
      backend({ name: "nv-2" }),
      backend({ name: "fb-1", pool: "fallback" }),
    ]);
    assert.deepEqual(fine, {
      name: "backends",
      status: "ok",
      detail: "primary 2/2 healthy, fallback 1/1 healthy",
    });
    const degraded = checkBackends([
      backend({ state: "down" }),
      backend({ name: "fb-1", pool: "fallback" }),
    ]);
    assert.equal(degraded.status, "warning");
    assert.equal(degraded.detail, "primary 0/1 healthy, fallback 1/1 healthy · nv-1 down");
    assert.equal(checkBackends([backend({ state: "down" })]).status, "critical");
  });

  it("reports cooldowns: a warning for one, critical when every enabled backend cools", () => {
    const until = new Date(NOW.getTime() + 90_000).toISOString();
    assert.deepEqual(checkCooldowns([backend({})], NOW, th).detail, "none active");
    const one = checkCooldowns(
      [backend({ cooldown_until: until }), backend({ name: "nv-2" })],
      NOW,
      th,
    );
    assert.equal(one.status, "warning");
    assert.equal(one.detail, "1/2 cooling: nv-1 1m");
    assert.equal(checkCooldowns([backend({ cooldown_until: until })], NOW, th).status, "critical");
    const past = new Date(NOW.getTime() - 1).toISOString();
    assert.equal(checkCooldowns([backend({ cooldown_until: past })], NOW, th).status, "ok");
  });

  it("warns while incidents are open and turns critical after 60 min unacknowledged", () => {
    assert.equal(checkIncidents([], NOW, th).status, "ok");
    const acked = checkIncidents(
      [{ status: "acknowledged", openedAt: ago(5 * 60 * MIN) }],
      NOW,
      th,
    );
    assert.equal(acked.status, "warning");
    assert.equal(acked.detail, "0 open, 1 acknowledged; oldest 5h 0m");
    const late = checkIncidents(
      [
        { status: "open", openedAt: ago(61 * MIN) },
        { status: "open", openedAt: ago(2 * MIN) },
      ],
      NOW,
      th,
    );
    assert.equal(late.status, "critical");
    assert.equal(late.detail, "2 open; oldest unacknowledged 1h 1m");
  });

  it("checks the last run of each schedule: missed, failed, or fine since the process started", () => {
    const ctx = { now: NOW, since: ago(3 * MIN), timeZone: "Asia/Taipei" };
    assert.equal(checkSchedules(new Map(), ctx, th).status, "ok", "nothing was due since start");
    const runs = new Map<string, RunFact>();
    const early = { ...ctx, since: ago(30 * MIN) };
    const missed = checkSchedules(runs, early, th);
    assert.equal(missed.status, "warning");
    assert.equal(missed.detail, "smoke checks missed 08:50");
    runs.set("smoke", { scheduledFor: ago(10 * MIN), startedAt: ago(10 * MIN), outcome: "ok" });
    assert.equal(checkSchedules(runs, early, th).status, "ok");
    runs.set("smoke", { scheduledFor: ago(10 * MIN), startedAt: ago(10 * MIN), outcome: "failed" });
    assert.equal(checkSchedules(runs, early, th).detail, "smoke checks failed");
  });
});

describe("smoke configuration", () => {
  it("refuses a warning threshold above its critical one, naming the variable", () => {
    assert.throws(
      () => loadConfig({ SMOKE_DB_WARNING_MS: "2000", SMOKE_DB_CRITICAL_MS: "1000" }),
      (err) => err instanceof ConfigError && err.variable === "SMOKE_DB_WARNING_MS",
    );
  });

  it("defaults: scheduler on, 30 days of history; SCHEDULER_ENABLED=false turns cron off", () => {
    const c = loadConfig({});
    assert.equal(c.smoke.schedulerEnabled, true);
    assert.equal(c.smoke.retentionDays, 30);
    assert.equal(loadConfig({ SCHEDULER_ENABLED: "false" }).smoke.schedulerEnabled, false);
    assert.throws(() => loadConfig({ SCHEDULER_ENABLED: "maybe" }), /SCHEDULER_ENABLED/);
  });
});

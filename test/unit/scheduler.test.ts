import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScheduleRunRow } from "../../db/schema/index.ts";
import { createMetrics } from "../../src/metrics.ts";
import type { ClaimRequest } from "../../src/scheduler/schedule-runs.ts";
import { dueJobs, JOB_NAMES, type JobName } from "../../src/scheduler/schedule-spec.ts";
import { createScheduler, type JobHandler } from "../../src/scheduler/scheduler.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testLogger } from "../helpers/logger.ts";

const TPE = "Asia/Taipei";

/** An in-memory schedule_runs: unique period keys, finished rows kept for inspection. */
function memoryRuns() {
  const rows = new Map<string, ScheduleRunRow>();
  return {
    rows,
    async claim(c: ClaimRequest, now: Date) {
      if (rows.has(c.periodKey)) return undefined;
      const row: ScheduleRunRow = {
        id: c.periodKey,
        ...c,
        startedAt: now,
        finishedAt: null,
        outcome: "running",
        detail: null,
      };
      rows.set(c.periodKey, row);
      return row;
    },
    async finish(id: string, outcome: "ok" | "failed", detail: string, now: Date) {
      const row = rows.get(id);
      if (row) Object.assign(row, { outcome, detail, finishedAt: now });
    },
  };
}

function build(handlers: Partial<Record<JobName, JobHandler>>) {
  const runs = memoryRuns();
  const clock = fakeClock("2026-11-23T01:10:00Z");
  const all = Object.fromEntries(
    JOB_NAMES.map((n) => [n, handlers[n] ?? (async () => "done")]),
  ) as Record<JobName, JobHandler>;
  const scheduler = createScheduler({
    runs,
    handlers: all,
    clock,
    logger: testLogger,
    metrics: createMetrics(),
    timeZone: TPE,
    runner: "test:1",
  });
  return { runs, clock, scheduler };
}

describe("scheduler", () => {
  it("runs a job for its slot's period, records start, end and outcome, and never twice", async () => {
    const seen: string[] = [];
    const { runs, scheduler } = build({
      smoke_summary: async (ctx) => {
        seen.push(`${ctx.periodKey}@${ctx.slot.toISOString()}`);
        return "queued for 1 chat(s)";
      },
    });
    const first = await scheduler.runJob("smoke_summary", new Date("2026-11-23T01:10:00Z"));
    assert.equal(first.status, "ran");
    assert.deepEqual(seen, ["smoke-summary:2026-11-23@2026-11-23T01:10:00.000Z"]);
    const row = runs.rows.get("smoke-summary:2026-11-23");
    assert.equal(row?.outcome, "ok");
    assert.equal(row?.detail, "queued for 1 chat(s)");
    assert.ok(row?.finishedAt);
    const again = await scheduler.runJob("smoke_summary", new Date("2026-11-23T01:12:00Z"));
    assert.deepEqual(again, { status: "claimed", periodKey: "smoke-summary:2026-11-23" });
    assert.equal(seen.length, 1);
  });

  it("records a failing job as failed with its message instead of throwing", async () => {
    const { runs, scheduler } = build({
      daily_report: async () => {
        throw new Error("database went away");
      },
    });
    const r = await scheduler.runJob("daily_report", new Date("2026-11-23T15:50:00Z"));
    assert.equal(r.status === "ran" && r.outcome, "failed");
    assert.equal(runs.rows.get("daily:2026-11-23")?.detail, "database went away");
  });

  it("never overlaps a job with itself: a second run while the first is busy is skipped", async () => {
    let release = () => {};
    const busy = new Promise<void>((r) => {
      release = r;
    });
    let started = 0;
    const { scheduler } = build({
      smoke: async () => {
        started++;
        await busy;
        return "ok";
      },
    });
    const first = scheduler.runJob("smoke", new Date("2026-11-23T01:05:00Z"));
    await new Promise((r) => setImmediate(r));
    const second = await scheduler.runJob("smoke", new Date("2026-11-23T01:10:00Z"));
    assert.equal(second.status, "overlap");
    release();
    assert.equal((await first).status, "ran");
    assert.equal(started, 1);
    assert.equal((await scheduler.runJob("smoke", new Date("2026-11-23T01:10:00Z"))).status, "ran");
  });

  it("starts one node-cron task per job in the report time zone, each next due at its own slot", async () => {
    const { scheduler } = build({});
    scheduler.start();
    try {
      const tasks = scheduler.tasks();
      assert.equal(tasks.length, JOB_NAMES.length);
      for (const [i, name] of JOB_NAMES.entries()) {
        const task = tasks[i];
        assert.equal(task?.name, `commandpost:${name}`);
        const next = task?.getNextRun();
        assert.ok(next, `${name} has a next run`);
        assert.ok(dueJobs(next, TPE).includes(name), `${name} next run ${next.toISOString()}`);
      }
    } finally {
      await scheduler.stop();
    }
    assert.equal(scheduler.tasks().length, 0);
  });
});

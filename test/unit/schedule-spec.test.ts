import assert from "node:assert/strict";
import { describe, it } from "node:test";
import cron from "node-cron";
import {
  cronExpression,
  dueJobs,
  JOB_NAMES,
  JOBS,
  periodKey,
  slotOf,
} from "../../src/scheduler/schedule-spec.ts";

const TPE = "Asia/Taipei";
const at = (iso: string) => new Date(iso);

describe("what is due when (pure, REPORT_TIMEZONE Asia/Taipei)", () => {
  it("fires the smoke summary at 09:10 Taipei, which is 01:10 UTC, and not a minute before", () => {
    assert.deepEqual(dueJobs(at("2026-11-23T01:10:00Z"), TPE), ["smoke", "smoke_summary"]);
    assert.deepEqual(dueJobs(at("2026-11-23T01:09:00Z"), TPE), []);
    assert.deepEqual(dueJobs(at("2026-11-23T01:10:59Z"), TPE), ["smoke", "smoke_summary"]);
  });

  it("fires the daily report at 23:50 Taipei (15:50 UTC)", () => {
    assert.deepEqual(dueJobs(at("2026-11-23T15:50:00Z"), TPE), ["smoke", "daily_report"]);
    assert.ok(!dueJobs(at("2026-11-23T23:50:00Z"), TPE).includes("daily_report"), "not 23:50 UTC");
  });

  it("fires the weekly report on Sunday 22:00 Taipei (Sunday 14:00 UTC) only", () => {
    assert.deepEqual(dueJobs(at("2026-11-22T14:00:00Z"), TPE), ["smoke", "weekly_report"]);
    assert.deepEqual(dueJobs(at("2026-11-21T14:00:00Z"), TPE), ["smoke"], "Saturday");
    assert.deepEqual(dueJobs(at("2026-11-22T22:00:00Z"), TPE), ["smoke"], "22:00 UTC is Monday");
  });

  it("fires smoke every 5 minutes and the cleanup at 04:30", () => {
    assert.ok(dueJobs(at("2026-11-23T01:05:00Z"), TPE).includes("smoke"));
    assert.ok(!dueJobs(at("2026-11-23T01:06:00Z"), TPE).includes("smoke"));
    assert.ok(dueJobs(at("2026-11-22T20:30:00Z"), TPE).includes("cleanup"));
  });

  it("agrees with node-cron's own matcher on every minute of a week, also across a DST change", () => {
    for (const [zone, start] of [
      [TPE, "2026-11-20T00:00:00Z"],
      ["America/New_York", "2026-03-05T00:00:00Z"],
    ] as const) {
      const tasks = JOB_NAMES.map((name) => ({
        name,
        task: cron.createTask(cronExpression(JOBS[name].timing), () => {}, { timezone: zone }),
      }));
      const t0 = at(start).getTime();
      for (let m = 0; m < 7 * 24 * 60; m++) {
        const d = new Date(t0 + m * 60_000);
        const expected = tasks.filter((t) => t.task.match(d)).map((t) => t.name);
        assert.deepEqual(dueJobs(d, zone), expected, `${zone} ${d.toISOString()}`);
      }
      for (const t of tasks) t.task.destroy();
    }
  });
});

describe("slots and period keys", () => {
  it("maps any instant to the slot at or before it, and names the period in local time", () => {
    const t = at("2026-11-23T01:07:33.123Z"); // Monday 09:07:33 in Taipei
    assert.equal(slotOf("smoke", t, TPE).toISOString(), "2026-11-23T01:05:00.000Z");
    assert.equal(periodKey("smoke", t, TPE), "smoke:2026-11-23T09:05");
    assert.equal(slotOf("smoke_summary", t, TPE).toISOString(), "2026-11-22T01:10:00.000Z");
    assert.equal(periodKey("smoke_summary", t, TPE), "smoke-summary:2026-11-22");
    assert.equal(periodKey("daily_report", t, TPE), "daily:2026-11-22");
    assert.equal(slotOf("weekly_report", t, TPE).toISOString(), "2026-11-22T14:00:00.000Z");
    assert.equal(periodKey("weekly_report", t, TPE), "weekly:2026-11-22");
  });

  it("keeps one period per day: the slot instant and any later instant that day share a key", () => {
    const slot = at("2026-11-23T15:50:00Z");
    assert.equal(periodKey("daily_report", slot, TPE), "daily:2026-11-23");
    assert.equal(periodKey("daily_report", at("2026-11-23T15:59:59Z"), TPE), "daily:2026-11-23");
    assert.equal(periodKey("daily_report", at("2026-11-23T15:49:59Z"), TPE), "daily:2026-11-22");
  });

  it("finds the local slot across a DST change (23:50 New York is 04:50 UTC in EST, 03:50 in EDT)", () => {
    const ny = "America/New_York";
    assert.equal(
      slotOf("daily_report", at("2026-03-08T12:00:00Z"), ny).toISOString(),
      "2026-03-08T04:50:00.000Z",
    );
    assert.equal(
      slotOf("daily_report", at("2026-03-09T12:00:00Z"), ny).toISOString(),
      "2026-03-09T03:50:00.000Z",
    );
  });
});

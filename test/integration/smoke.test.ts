import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { and, eq } from "drizzle-orm";
import { alerts, events, incidents, smokeRuns } from "../../db/schema/index.ts";
import { renderStatus } from "../../src/bot/views/status-message.ts";
import { ADMIN_TOKEN, call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";
import { type RecordingSender, recordingSender, waitFor } from "../helpers/sender.ts";

const CHAT = 717171;
const MIN = 60_000;
const DAY = 86_400_000;

for (const kind of testDatabases()) {
  describe(`smoke checks, alerts, history and cleanup on ${kind.name}`, () => {
    let t: TestApp;
    let sender: RecordingSender;
    const clock = fakeClock("2026-11-23T01:00:00Z");
    const smoke = () => t.app.schedules.smoke;
    const smokeEvents = async () =>
      (await t.app.database.db.select().from(events).where(eq(events.source, "smoke"))).map(
        (e) => `${e.type}:${e.status}:${e.outcome}`,
      );
    const postCritical = async (type: string) => {
      const res = await call(`${t.url}/api/events`, {
        token: INGEST_TOKEN,
        body: { source: "momo-app", type, severity: "critical", title: `${type} firing` },
      });
      assert.equal(res.status, 202);
      const [row] = await t.app.database.db.select().from(events).where(eq(events.id, res.body.id));
      // Sent before the clock jumps, or the outbox backlog check turns critical too.
      await waitFor(
        () => sender.messages.some((m) => m.text.includes(`${type} firing`)),
        5000,
        type,
      );
      const settled = async () => (await t.app.outbox.stats(clock.now())).pending === 0;
      await waitFor(settled, 5000, "the delivery settled");
      return row?.alertId as string;
    };

    before(async () => {
      sender = recordingSender();
      t = await startTestApp(
        await kind.open(),
        { TELEGRAM_ALERT_CHAT_IDS: String(CHAT) },
        { sender, clock, outboxPacing: { perChatMs: 10 } },
      );
    });
    after(() => t.stop());

    it("runs every check read-only and stores the run compactly (statuses only, no details)", async () => {
      const run = await smoke().run("command");
      assert.deepEqual(
        run.results.map((r) => `${r.name}:${r.status}`),
        [
          "database:ok",
          "outbox_backlog:ok",
          "outbox_dead:ok",
          "backends:skipped",
          "cooldowns:skipped",
          "incidents:ok",
          "heal_plans:ok",
          "heartbeats:skipped",
          "schedules:ok",
        ],
      );
      assert.equal(run.overall, "ok");
      assert.equal(
        run.results.find((r) => r.name === "heal_plans")?.detail,
        "0 pending, 0 running · 24 h: 0 failed, 0 reverted",
      );
      const [row] = await t.app.database.db
        .select()
        .from(smokeRuns)
        .where(eq(smokeRuns.id, run.id));
      assert.deepEqual(row?.checks, Object.fromEntries(run.results.map((r) => [r.name, r.status])));
      assert.ok(!JSON.stringify(row).includes("round trip"), "detail lines are not stored");
      assert.deepEqual(await smokeEvents(), [], "nothing critical, no events");
    });

    it("raises a critical result as an event through the EventRouter, deduplicated, then resolved", async () => {
      const alertId = await postCritical("DiskFull");
      clock.advance(61 * MIN);
      const late = await smoke().run("schedule");
      assert.equal(late.results.find((r) => r.name === "incidents")?.status, "critical");
      assert.deepEqual(await smokeEvents(), ["smoke_incidents:firing:notified"]);
      await waitFor(
        () => sender.messages.find((m) => m.text.includes("Smoke check critical: incidents")),
        5000,
        "the smoke alert message",
      );
      clock.advance(MIN);
      await smoke().run("schedule");
      assert.deepEqual(await smokeEvents(), [
        "smoke_incidents:firing:notified",
        "smoke_incidents:firing:deduplicated",
      ]);
      // The incident the smoke alert opened does not keep the check critical by itself.
      const acked = await t.app.actions.acknowledge(alertId, "Ada (@ada, 1)");
      assert.equal(acked.changed, true);
      const after = await smoke().run("schedule");
      assert.equal(after.results.find((r) => r.name === "incidents")?.status, "warning");
      assert.equal((await smokeEvents()).at(-1), "smoke_incidents:resolved:notified");
      const [smokeAlert] = await t.app.database.db
        .select()
        .from(alerts)
        .where(eq(alerts.source, "smoke"));
      assert.equal(smokeAlert?.status, "resolved");
      const [smokeIncident] = await t.app.database.db
        .select()
        .from(incidents)
        .where(eq(incidents.id, smokeAlert?.incidentId ?? ""));
      assert.equal(smokeIncident?.status, "resolved");
    });

    it("lets a mute silence a smoke alert like any other alert", async () => {
      await t.app.mutes.create({
        matchers: [{ name: "alertname", op: "=", value: "smoke_incidents" }],
        durationMs: 24 * 60 * MIN,
        createdBy: "Ada (@ada, 1)",
        reason: "known",
      });
      await postCritical("CpuHot");
      clock.advance(61 * MIN);
      await smoke().run("schedule");
      assert.equal((await smokeEvents()).at(-1), "smoke_incidents:firing:muted");
    });

    it("exports the history as NDJSON from ?since=, and refuses a bad since or a missing token", async () => {
      const url = `${t.url}/api/admin/smoke/history`;
      const res = await fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^application\/x-ndjson/);
      const lines = (await res.text())
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      assert.equal(lines.length, 5);
      assert.deepEqual(Object.keys(lines[0]), [
        "id",
        "ran_at",
        "trigger",
        "overall",
        "duration_ms",
        "checks",
      ]);
      assert.equal(lines[0].trigger, "command");
      assert.equal(lines[1].checks.incidents, "critical");
      const since = encodeURIComponent(lines[4].ran_at);
      const tail = await fetch(`${url}?since=${since}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      assert.equal((await tail.text()).trim().split("\n").length, 1);
      const bad = await call(`${url}?since=yesterday`, { token: ADMIN_TOKEN });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, "since");
      assert.equal((await call(url)).status, 401);
    });

    it("cleans up history older than the retention daily, keeping each job's latest run", async () => {
      const old = new Date(clock.now().getTime() - 40 * DAY);
      await smoke().store.insert({
        id: "01OLDRUN000000000000000000",
        ranAt: old,
        trigger: "schedule",
        overall: "ok",
        checks: { database: "ok" },
        durationMs: 3,
      });
      const { scheduler, runs } = t.app.schedules;
      const now = clock.now();
      clock.set(old);
      const weekly = await scheduler.runJob("weekly_report", old);
      assert.equal(weekly.status, "ran");
      clock.set(now);
      const cleanup = await scheduler.runJob("cleanup", clock.now());
      assert.equal(
        cleanup.status === "ran" && cleanup.detail,
        "deleted 1 smoke runs and 0 schedule runs older than 30 days",
      );
      const ofWeekly = await runs.ofJob("weekly_report");
      assert.equal(ofWeekly.length, 1, "the only weekly run stays: it is the latest");
      await scheduler.runJob("weekly_report", clock.now());
      await scheduler.runJob("cleanup", new Date(clock.now().getTime() + DAY));
      assert.equal(
        (await runs.ofJob("weekly_report")).length,
        1,
        "the old one goes once a newer exists",
      );
      const [stillThere] = await t.app.database.db
        .select()
        .from(smokeRuns)
        .where(and(eq(smokeRuns.trigger, "command")));
      assert.ok(stillThere, "recent runs stay");
    });

    it("shows the last run of each schedule in /status", async () => {
      const { text } = renderStatus(await t.app.status.snapshot(), "Asia/Taipei");
      assert.match(text, /<b>Schedules<\/b> \(cron off on this replica\)/);
      assert.match(text, /history cleanup \(daily 04:30\): ✅ (\d+ \w+ )?\d\d:\d\d \([^)]+\) ok/);
      assert.match(text, /<i>Times in Asia\/Taipei<\/i>/);
      assert.match(text, /smoke checks \(every 5 min\): never run/);
      assert.match(text, /weekly report \(Sunday 22:00\): ✅/);
    });
  });
}

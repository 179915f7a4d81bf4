import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { after, before, describe, it } from "node:test";
import { runningLimitMs } from "../../src/heal/heal-config.ts";
import { createHealService, type HealService } from "../../src/heal/heal-service.ts";
import type { Runner } from "../../src/heal/plan-recovery.ts";
import { createPublisher } from "../../src/notifications/publisher.ts";
import { call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";
import { planSendRow, storedPlan } from "../helpers/heal.ts";
import { testLogger } from "../helpers/logger.ts";

const CHAT = 616161;
const HOUR = 3_600_000;

/** A pid that existed and has exited: a process that died. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid as number;
}

for (const kind of testDatabases()) {
  describe(`heal plans across processes and restarts on ${kind.name}`, () => {
    let t: TestApp;
    const clock = fakeClock();
    const others: HealService[] = [];

    const propose = async (k: "restart" | "command", target: string) => {
      const res = await call(`${t.url}/api/heal-plans`, {
        token: INGEST_TOKEN,
        body: { kind: k, target, rationale: "fix it", proposed_by: "agent-7", risk: "low" },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const plan = (id: string) => storedPlan(t, id);
    const message = (id: string) => planSendRow(t, id);
    /** Another process's heal service on the same database. */
    const otherProcess = (runner?: Runner) => {
      const svc = createHealService({
        db: t.app.database.db,
        clock,
        logger: testLogger,
        publisher: createPublisher({ outbox: t.app.outbox, clock }),
        settings: t.app.config.heal,
        planChats: () => [{ chatId: CHAT, threadId: null }],
        timeZone: "Asia/Taipei",
        onQueued: () => {},
        runner,
      });
      others.push(svc);
      return svc;
    };
    /** Puts plan `id` in `running` as `runner` would have, as if its process then died. */
    const leaveRunning = async (id: string, runner: Runner) => {
      const { store } = t.app.heal;
      const row = await store.transition(id, "pending", "running", { startedAt: clock.now() });
      assert.ok(row, "plan moved to running");
      await store.audit(row, "executor", "running", { runner }, clock.now());
    };

    before(async () => {
      t = await startTestApp(
        await kind.open(),
        {
          TELEGRAM_ALERT_CHAT_IDS: String(CHAT),
          // The tests call recover() themselves; no background sweep racing them.
          HEAL_EXPIRY_SWEEP_MS: "3600000",
          HEAL_COMMANDS: JSON.stringify({
            restart: [process.execPath, "-e", "console.log('restarted')", "{target}"],
            // Slow enough that two processes' executions overlap.
            command: [
              process.execPath,
              "-e",
              "setTimeout(() => console.log('done ' + process.argv[1]), 400)",
              "{target}",
            ],
          }),
        },
        { clock },
      );
    });
    after(async () => {
      for (const s of others) await s.stop();
      await t.stop();
    });

    it("at start, a plan left running by a process that died becomes failed, audited and shown", async () => {
      const crashed = await propose("restart", "api-crashed");
      const neighbour = await propose("restart", "api-neighbour");
      const remote = await propose("restart", "api-remote");
      await leaveRunning(crashed, { host: hostname(), pid: deadPid(), instance: "old-instance" });
      // A live process on this host and a process on another host may still be running theirs.
      await leaveRunning(neighbour, { host: hostname(), pid: process.ppid, instance: "other" });
      await leaveRunning(remote, { host: "another-host", pid: 1, instance: "remote" });

      const restarted = otherProcess();
      await restarted.start();

      const p = await plan(crashed);
      assert.equal(p.status, "failed");
      assert.match(p.reason ?? "", /^interrupted by a restart/);
      assert.ok(p.finishedAt);
      const last = (await t.app.heal.audit(crashed)).at(-1);
      assert.equal(last?.step, "failed");
      assert.equal(last?.actor, "system");
      assert.equal(last?.detail.interrupted, true);
      const msg = await message(crashed);
      assert.match(msg.text, /❌ Failed/);
      assert.match(msg.text, /Reason: interrupted by a restart/);
      assert.equal(msg.replyMarkup, null);
      assert.equal((await plan(neighbour)).status, "running");
      assert.equal((await plan(remote)).status, "running");

      // Past the longest possible run, nobody can still be running them.
      clock.advance(runningLimitMs(t.app.config.heal) + 1000);
      assert.equal(await restarted.recover(), 2);
      for (const id of [neighbour, remote]) {
        const q = await plan(id);
        assert.equal(q.status, "failed");
        assert.match(q.reason ?? "", /^no result after/);
        assert.match((await message(id)).text, /Reason: no result after/);
      }
      assert.equal(await restarted.recover(), 0, "nothing left to recover");
    });

    it("a plan running in another process holds its target: an approval here is refused before it is decided", async () => {
      clock.advance(2 * HOUR);
      const elsewhere = await propose("restart", "api-shared");
      await leaveRunning(elsewhere, { host: "another-host", pid: 7, instance: "busy" });
      const id = await propose("restart", "api-shared");
      const r = await t.app.heal.approve(id, "Ada");
      assert.equal(r.changed, false, "the press approves nothing");
      assert.match(r.message, /another plan is running on api-shared/);
      await t.app.heal.idle();
      const p = await plan(id);
      assert.equal(p.status, "pending", "it stays open for a later decision");
      assert.equal(p.startedAt, null, "it never ran");
      assert.deepEqual(
        (await t.app.heal.audit(id)).map((a) => a.step),
        ["proposed"],
      );
      assert.equal(
        (await plan(elsewhere)).status,
        "running",
        "the other process's plan is untouched",
      );
      await t.app.heal.store.transition(elsewhere, "running", "failed", {});
      await t.app.heal.reject(id, "Ada", "target was busy");
    });

    it("two processes approving plans on one target at once: one runs, the other is refused", async () => {
      clock.advance(2 * HOUR);
      const a = await propose("command", "batch-7");
      const b = await propose("command", "batch-7");
      const other = otherProcess({ host: hostname(), pid: process.pid, instance: "second" });
      const [ra, rb] = await Promise.all([t.app.heal.approve(a, "Ada"), other.approve(b, "Bob")]);
      assert.ok(ra.changed && rb.changed, "both decisions stand; the target decides");
      await Promise.all([t.app.heal.idle(), other.idle()]);
      const statuses = [(await plan(a)).status, (await plan(b)).status].sort();
      assert.deepEqual(statuses, ["refused", "succeeded"]);
      const loser = (await plan(a)).status === "refused" ? a : b;
      assert.match((await message(loser)).text, /another plan is running on batch-7/);
      // The target is free again: a later plan on it runs.
      const c = await propose("command", "batch-7");
      await t.app.heal.approve(c, "Ada");
      await t.app.heal.idle();
      assert.equal((await plan(c)).status, "succeeded");
    });

    it("smoke warns about stuck and failed plans; the daily report counts every step", async () => {
      const stuck = await propose("restart", "api-stuck");
      await leaveRunning(stuck, { host: "another-host", pid: 9, instance: "hung" });
      clock.advance(runningLimitMs(t.app.config.heal) + 60_000);
      const run = await t.app.schedules.smoke.run("command");
      const check = run.results.find((r) => r.name === "heal_plans");
      assert.equal(check?.status, "warning");
      assert.match(check?.detail ?? "", /^0 pending, 1 running · 24 h: 3 failed, 0 reverted/);
      assert.match(check?.detail ?? "", / · stuck: api-stuck running \d+m$/);
      assert.equal(await t.app.heal.recover(), 1);

      clock.advance(1000);
      const report = await t.app.schedules.reports.build("daily", clock.now());
      assert.deepEqual(report.current.healPlans, {
        proposed: 9,
        approved: 3,
        rejected: 1,
        expired: 0,
        succeeded: 2,
        reverted: 0,
        failed: 4,
        refused: 1,
      });
    });
  });
}

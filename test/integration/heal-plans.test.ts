import assert from "node:assert/strict";
import { existsSync, renameSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ADMIN_TOKEN, call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";
import {
  type HealthServer,
  healEnv,
  makeTestRepo,
  planSendRow,
  startHealthServer,
  storedPlan,
  type TestRepo,
} from "../helpers/heal.ts";

const CHAT = 515151;
const HOUR = 3_600_000;

for (const kind of testDatabases()) {
  describe(`heal plans: proposal, decision, guarded execution, audit on ${kind.name}`, () => {
    let t: TestApp;
    let repo: TestRepo;
    let health: HealthServer;
    const clock = fakeClock();

    const propose = (body: Record<string, unknown>) =>
      call(`${t.url}/api/heal-plans`, {
        token: INGEST_TOKEN,
        body: { risk: "low", proposed_by: "agent-7", rationale: "fix the crash", ...body },
      });
    const codeFix = async (rationale = "fix the crash", target = "services/app.py") => {
      const res = await propose({ kind: "code_fix", target, rationale });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const plan = (id: string) => storedPlan(t, id);
    const message = (id: string) => planSendRow(t, id);
    const approveAndWait = async (id: string) => {
      const r = await t.app.heal.approve(id, "Ada (@ada, 1001)");
      await t.app.heal.idle();
      return r;
    };
    /**
     * Approve on a plan the guardrails refuse: nothing is approved or run, the answer names
     * the guardrail, and the plan stays pending until someone rejects it (done here).
     */
    const refusedAtApproval = async (id: string, reason: RegExp) => {
      const r = await approveAndWait(id);
      assert.equal(r.changed, false);
      assert.match(r.message, reason);
      assert.equal((await plan(id)).status, "pending");
      const steps = (await t.app.heal.audit(id)).map((x) => x.step);
      assert.deepEqual(steps, ["proposed"], "not approved, nothing run");
      await t.app.heal.reject(id, "test", "cleanup");
    };
    /** A new rolling hour, so earlier executions do not count against L3. */
    const nextHour = () => clock.advance(2 * HOUR);

    before(async () => {
      repo = await makeTestRepo();
      health = await startHealthServer();
      t = await startTestApp(
        await kind.open(),
        {
          TELEGRAM_ALERT_CHAT_IDS: String(CHAT),
          ...healEnv(repo, health),
          HEAL_COMMANDS: JSON.stringify({
            restart: [
              process.execPath,
              "-e",
              "console.log('restarted ' + process.argv[1])",
              "{target}",
            ],
          }),
        },
        { clock },
      );
    });
    after(async () => {
      await t.stop();
      await health.stop();
      repo.remove();
    });

    it("refuses a proposal without the ingest token and names the bad field", async () => {
      const anon = await call(`${t.url}/api/heal-plans`, { body: { kind: "restart" } });
      assert.equal(anon.status, 401);
      const bad = await propose({ kind: "code_fix", target: "services/app.py", risk: "extreme" });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, "risk");
      const shell = await propose({ kind: "restart", target: "api; rm -rf /" });
      assert.equal(shell.status, 400);
      assert.equal(shell.body.error.field, "target");
    });

    it("stores a proposal, 30 min expiry by default, and queues its message with three buttons", async () => {
      const res = await propose({
        kind: "code_fix",
        target: "services/app.py",
        incident_id: "INC1",
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.status, "pending");
      assert.match(res.body.content_hash, /^[0-9a-f]{64}$/);
      assert.equal(
        new Date(res.body.expires_at).getTime() - new Date(res.body.created_at).getTime(),
        30 * 60 * 1000,
      );
      const msg = await message(res.body.id);
      assert.equal(msg.chatId, CHAT);
      assert.match(msg.text, /Code fix/);
      assert.match(msg.text, /services\/app\.py/);
      assert.match(msg.text, /fix the crash/);
      assert.match(msg.text, /risk <b>low<\/b>/);
      assert.match(msg.text, /Expires \d\d:\d\d \(in 30m\)/);
      const data = (msg.replyMarkup ?? []).flat().map((b) => b.callback_data);
      assert.deepEqual(data, [`pa:${res.body.id}`, `pr:${res.body.id}`, `pd:${res.body.id}`]);
      await t.app.heal.reject(res.body.id, "test", "cleanup");
    });

    it("happy path: approve → fixer, commit, push, healthy → succeeded, message and audit show it", async () => {
      nextHour();
      health.healthy = true;
      const id = await codeFix("fix the crash lines=3");
      const r = await approveAndWait(id);
      assert.equal(r.changed, true);
      const done = await plan(id);
      assert.equal(done.status, "succeeded");
      assert.equal(done.decidedBy, "Ada (@ada, 1001)");
      assert.match((await repo.remoteLog())[0] ?? "", /^heal: fix the crash/);
      assert.equal(await repo.status(), "");
      const msg = await message(id);
      assert.match(msg.text, /Done/);
      assert.equal(msg.replyMarkup, null, "no buttons after the decision");
      const audit = await call(`${t.url}/api/admin/heal-plans/${id}/audit`, { token: ADMIN_TOKEN });
      assert.equal(audit.status, 200);
      const steps = audit.body.audit.map((a: { step: string }) => a.step);
      for (const s of [
        "proposed",
        "approved",
        "running",
        "fixer_finished",
        "L2_diff",
        "pushed",
        "L4_checking",
        "succeeded",
      ])
        assert.ok(steps.includes(s), `audit has ${s}: ${steps}`);
      const fixer = audit.body.audit.find((a: { step: string }) => a.step === "fixer_finished");
      assert.match(fixer.detail.output, /\[redacted\]/);
      assert.doesNotMatch(fixer.detail.output, /sk-abcdef/);
      assert.ok(
        audit.body.audit.every(
          (a: { content_hash: string }) => a.content_hash === done.contentHash,
        ),
      );
      const list = await call(`${t.url}/api/admin/heal-plans`, { token: ADMIN_TOKEN });
      assert.ok(list.body.plans.some((p: { id: string }) => p.id === id));
    });

    it("double approval (two admins at once) → one decision, one execution", async () => {
      nextHour();
      const id = await codeFix("second fix lines=2");
      const before = (await repo.remoteLog()).length;
      const [a, b] = await Promise.all([
        t.app.heal.approve(id, "Ada"),
        t.app.heal.approve(id, "Bob"),
      ]);
      await t.app.heal.idle();
      assert.equal([a, b].filter((x) => x.changed).length, 1);
      assert.match((a.changed ? b : a).message, /Already/);
      assert.equal((await repo.remoteLog()).length, before + 1);
      const steps = (await t.app.heal.audit(id)).map((x) => x.step);
      assert.equal(steps.filter((s) => s === "approved").length, 1);
      assert.equal(steps.filter((s) => s === "running").length, 1);
    });

    it("L4: an unhealthy service after the push → git revert pushed, plan reverted", async () => {
      nextHour();
      health.healthy = false;
      const id = await codeFix("risky fix lines=2");
      await approveAndWait(id);
      health.healthy = true;
      assert.equal((await plan(id)).status, "reverted");
      const log = await repo.remoteLog();
      assert.match(log[0] ?? "", /^Revert "heal: risky fix/);
      assert.match((await message(id)).text, /Reverted/);
    });

    it("runs one plan per target at a time: a second approved plan on a busy target is refused", async () => {
      nextHour();
      const first = await codeFix("first on target lines=1");
      const second = await codeFix("second on target lines=1");
      assert.equal((await t.app.heal.approve(first, "Ada")).changed, true);
      const r = await t.app.heal.approve(second, "Ada");
      assert.equal(r.changed, false, "not approved while the first runs");
      assert.match(r.message, /another plan is running on services\/app\.py/);
      await t.app.heal.idle();
      assert.equal((await plan(first)).status, "succeeded");
      assert.equal((await plan(second)).status, "pending");
      await t.app.heal.reject(second, "test", "cleanup");
    });

    it("L2: a fixer changing more than 50 lines → change discarded, tree clean, refused", async () => {
      nextHour();
      const before = await repo.remoteLog();
      const id = await codeFix("big rewrite lines=60");
      await approveAndWait(id);
      const p = await plan(id);
      assert.equal(p.status, "refused");
      assert.equal(await repo.status(), "");
      assert.deepEqual(await repo.remoteLog(), before);
      assert.match((await message(id)).text, /L2: 60 changed lines/);
    });

    it("a failing fixer → change discarded, plan failed", async () => {
      nextHour();
      const id = await codeFix("fail lines=1");
      await approveAndWait(id);
      assert.equal((await plan(id)).status, "failed");
      assert.equal(await repo.status(), "");
    });

    it("L1: a file outside the allowlist is refused before the fixer runs", async () => {
      nextHour();
      const id = await codeFix("fix config", "config/settings.py");
      const msg = await message(id);
      assert.match(
        msg.text,
        /🛑 The guardrails would refuse it: L1: config\/settings\.py is not allowed/,
      );
      assert.ok(!JSON.stringify(msg.replyMarkup).includes("pa:"), "no Approve on the message");
      await refusedAtApproval(id, /^Not approved: L1: config\/settings\.py is not allowed/);
      assert.equal(existsSync(join(repo.work, "config")), false, "fixer never ran");
    });

    it("L0: a repository path that is gone is refused before anything else", async () => {
      nextHour();
      const id = await codeFix("fix while repo missing");
      renameSync(repo.work, `${repo.work}.off`);
      try {
        await refusedAtApproval(id, /^Not approved: L0: repository path .* does not exist/);
      } finally {
        renameSync(`${repo.work}.off`, repo.work);
      }
    });

    it("L3: the sixth execution in a rolling hour is refused", async () => {
      nextHour();
      for (let i = 0; i < 5; i++) {
        const res = await propose({ kind: "restart", target: `api-${i}` });
        await approveAndWait(res.body.id);
        assert.equal((await plan(res.body.id)).status, "succeeded");
      }
      const sixth = await propose({ kind: "restart", target: "api-6" });
      await refusedAtApproval(sixth.body.id, /^Not approved: L3: 5 executions in the last hour/);
      clock.advance(HOUR + 1);
      const later = await propose({ kind: "restart", target: "api-7" });
      await approveAndWait(later.body.id);
      assert.equal((await plan(later.body.id)).status, "succeeded");
    });

    it("runs only the allowlisted command for restart, with the target as one argument", async () => {
      nextHour();
      const res = await propose({ kind: "restart", target: "api-gateway" });
      await approveAndWait(res.body.id);
      assert.equal((await plan(res.body.id)).status, "succeeded");
      const result = (await t.app.heal.audit(res.body.id)).find((a) => a.step === "command_result");
      assert.match(String(result?.detail.output), /restarted api-gateway/);
      const rollback = await propose({ kind: "rollback", target: "api-gateway" });
      await refusedAtApproval(rollback.body.id, /no allowlisted command for rollback/);
    });

    it("refuses a protected resource whoever approves", async () => {
      nextHour();
      const res = await propose({ kind: "restart", target: "postgres-main", risk: "high" });
      assert.match((await message(res.body.id)).text, /protected resource postgres-main/);
      await refusedAtApproval(res.body.id, /protected resource postgres-main/);
    });

    it("expiry: a plan past its expiry cannot be approved and loses its buttons; the sweep expires others", async () => {
      const first = await propose({ kind: "restart", target: "api-x", expires_in_s: 60 });
      const second = await propose({ kind: "restart", target: "api-y", expires_in_s: 60 });
      clock.advance(61_000);
      const r = await t.app.heal.approve(first.body.id, "Ada");
      assert.equal(r.changed, false);
      assert.match(r.message, /expired/);
      assert.equal((await plan(first.body.id)).status, "expired");
      const msg = await message(first.body.id);
      assert.equal(msg.replyMarkup, null);
      assert.match(msg.text, /Expired/);
      assert.equal(await t.app.heal.sweep(), 1);
      assert.equal((await plan(second.body.id)).status, "expired");
      assert.equal((await message(second.body.id)).replyMarkup, null);
    });

    it("reject records who and why; a later approval changes nothing", async () => {
      const res = await propose({ kind: "restart", target: "api-z" });
      const r = await t.app.heal.reject(res.body.id, "Bob", "too risky today");
      assert.equal(r.changed, true);
      const p = await plan(res.body.id);
      assert.equal(p.status, "rejected");
      assert.equal(p.reason, "too risky today");
      assert.match((await message(res.body.id)).text, /Reason: too risky today/);
      const again = await t.app.heal.approve(res.body.id, "Ada");
      assert.equal(again.changed, false);
      assert.match(again.message, /Already rejected/);
      const audit = await t.app.heal.audit(res.body.id);
      const rejected = audit.find((a) => a.step === "rejected");
      assert.equal(rejected?.actor, "Bob");
      assert.equal(rejected?.detail.reason, "too risky today");
    });
  });
}

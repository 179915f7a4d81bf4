import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { and, eq } from "drizzle-orm";
import { type AlertRow, alerts, deliveries, events, healPlans } from "../../db/schema/index.ts";
import { call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";

const CHAT = 717171;
const ADA = "Ada (@ada, 1001)";

/** HEAL_TEMPLATES of this suite: alert label matchers → plan content. */
const TEMPLATES = [
  {
    name: "restart on errors",
    match: { alertname: "HighErrorRate" },
    kind: "restart",
    target: "{{job}}",
    rationale: "{{alertname}} on {{instance}}",
    risk: "low",
  },
  {
    name: "restart the db",
    match: ["alertname=DbDown"],
    kind: "restart",
    target: "{{instance}}",
    rationale: "database down",
    risk: "high",
  },
  {
    name: "roll back",
    match: { alertname: "BadDeploy" },
    kind: "rollback",
    target: "{{job}}",
    rationale: "roll back {{job}}",
    risk: "medium",
  },
];

for (const kind of testDatabases()) {
  describe(`heal plans proposed from an alert's message on ${kind.name}`, () => {
    let t: TestApp;
    const clock = fakeClock();

    /** Posts a firing event and returns the alert it made. */
    const fire = async (labels: Record<string, string>, severity = "critical") => {
      const res = await call(`${t.url}/api/events`, {
        token: INGEST_TOKEN,
        body: {
          source: "prometheus",
          type: "alert",
          severity,
          status: "firing",
          title: labels.alertname,
          labels,
        },
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.outcome, "notified");
      const db = t.app.database.db;
      const [ev] = await db.select().from(events).where(eq(events.id, res.body.id));
      const [alert] = await db
        .select()
        .from(alerts)
        .where(eq(alerts.id, ev?.alertId ?? ""));
      return alert ?? assert.fail("no alert");
    };
    const alertButtons = async (alert: AlertRow) => {
      const [row] = await t.app.database.db
        .select()
        .from(deliveries)
        .where(and(eq(deliveries.subject, `alert:${alert.id}`), eq(deliveries.kind, "send")));
      return (row?.replyMarkup ?? []).flat();
    };
    const planCount = async () => (await t.app.database.db.select().from(healPlans)).length;

    before(async () => {
      t = await startTestApp(
        await kind.open(),
        {
          TELEGRAM_ALERT_CHAT_IDS: String(CHAT),
          HEAL_COMMANDS: JSON.stringify({
            restart: [process.execPath, "-e", "console.log('restarted')", "{target}"],
          }),
          HEAL_TEMPLATES: JSON.stringify(TEMPLATES),
        },
        { clock },
      );
    });
    after(() => t.stop());

    it("offers Propose fix only on alerts a template matches", async () => {
      const matched = await fire({
        alertname: "HighErrorRate",
        instance: "momo-app:80",
        job: "momo-app",
      });
      const buttons = await alertButtons(matched);
      const fix = buttons.find((b) => b.text === "🩹 Propose fix");
      assert.equal(fix?.callback_data, `pf:${matched.id}`);
      assert.ok(Buffer.byteLength(fix?.callback_data ?? "") <= 64);
      const other = await fire({ alertname: "QueueSlow", job: "worker" }, "warning");
      assert.ok(!(await alertButtons(other)).some((b) => b.text.includes("Propose fix")));
      const noLabel = await fire({ alertname: "HighErrorRate", instance: "x:1" });
      assert.ok(
        !(await alertButtons(noLabel)).some((b) => b.text.includes("Propose fix")),
        "{{job}} has no label to fill: the template does not apply",
      );
    });

    it("an admin's press proposes the template's plan through the API's path, linked to the incident; a second press does nothing", async () => {
      const alert = await fire({ alertname: "HighErrorRate", instance: "momo-app:81", job: "api" });
      assert.ok(alert.incidentId, "a critical alert opens an incident");
      const r = await t.app.heal.proposeFromAlert(alert.id, ADA);
      assert.equal(r.created, true, r.message);
      assert.match(r.message, /^Plan proposed/);
      const plan = r.plan ?? assert.fail("no plan");
      assert.equal(plan.kind, "restart");
      assert.equal(plan.target, "api");
      assert.equal(plan.rationale, "HighErrorRate on momo-app:81");
      assert.equal(plan.risk, "low");
      assert.equal(plan.proposedBy, ADA);
      assert.equal(plan.incidentId, alert.incidentId);
      assert.equal(plan.status, "pending");
      assert.equal(plan.expiresAt.getTime() - plan.createdAt.getTime(), 30 * 60_000);
      const [audit] = await t.app.heal.audit(plan.id);
      assert.equal(audit?.step, "proposed");
      assert.equal(audit?.actor, ADA);
      assert.deepEqual(audit?.detail, {
        incidentId: alert.incidentId,
        alertId: alert.id,
        template: "restart on errors",
        via: "alert",
      });
      const [msg] = await t.app.database.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.subject, `plan:${plan.id}`));
      assert.equal(msg?.chatId, CHAT);
      assert.match(msg?.text ?? "", /Restart/);
      const incident = await t.app.incidents.get(alert.incidentId ?? "");
      assert.match(msg?.text ?? "", new RegExp(`incident #${incident?.number}\\n`));
      assert.deepEqual(
        (msg?.replyMarkup ?? []).flat().map((b) => b.callback_data),
        [`pa:${plan.id}`, `pr:${plan.id}`, `pd:${plan.id}`],
      );

      const before = await planCount();
      const again = await t.app.heal.proposeFromAlert(alert.id, "Bob (@bob, 1002)");
      assert.equal(again.created, false);
      assert.match(again.message, /already pending/);
      assert.equal(again.plan?.id, plan.id);
      assert.equal(await planCount(), before);

      // Once that plan is decided, the alert may propose again.
      await t.app.heal.reject(plan.id, ADA, "not now");
      const third = await t.app.heal.proposeFromAlert(alert.id, ADA);
      assert.equal(third.created, true);
      await t.app.heal.reject(third.plan?.id ?? "", ADA, null);
    });

    it("presses at the same moment create one plan", async () => {
      const alert = await fire({ alertname: "HighErrorRate", instance: "web:1", job: "web" });
      const results = await Promise.all(
        [1, 2, 3].map((i) => t.app.heal.proposeFromAlert(alert.id, `admin ${i}`)),
      );
      assert.equal(results.filter((r) => r.created).length, 1);
      const rows = await t.app.database.db
        .select()
        .from(healPlans)
        .where(eq(healPlans.target, "web"));
      assert.equal(rows.length, 1);
    });

    it("refuses a template whose filled target is protected or has no allowlisted command; nothing is created", async () => {
      const before = await planCount();
      const db = await fire({ alertname: "DbDown", instance: "postgres-main" });
      const r = await t.app.heal.proposeFromAlert(db.id, ADA);
      assert.equal(r.created, false);
      assert.match(r.message, /^Not proposed \(restart the db\): protected resource postgres-main/);
      const deploy = await fire({ alertname: "BadDeploy", job: "shop" });
      const d = await t.app.heal.proposeFromAlert(deploy.id, ADA);
      assert.equal(d.created, false);
      assert.match(d.message, /no allowlisted command for rollback/);
      const bad = await fire({ alertname: "DbDown", instance: "db host;rm" });
      const b = await t.app.heal.proposeFromAlert(bad.id, ADA);
      assert.equal(b.created, false);
      assert.match(b.message, /^Not proposed \(restart the db\): target: letters, digits/);
      assert.equal(await planCount(), before);
    });

    it("answers presses on a resolved or unknown alert without creating anything", async () => {
      const labels = { alertname: "HighErrorRate", instance: "gone:1", job: "gone" };
      const alert = await fire(labels);
      const res = await call(`${t.url}/api/events`, {
        token: INGEST_TOKEN,
        body: {
          source: "prometheus",
          type: "alert",
          severity: "critical",
          status: "resolved",
          title: "HighErrorRate",
          labels,
        },
      });
      assert.equal(res.status, 202);
      const before = await planCount();
      const r = await t.app.heal.proposeFromAlert(alert.id, ADA);
      assert.equal(r.created, false);
      assert.match(r.message, /resolved/);
      const u = await t.app.heal.proposeFromAlert("01JZZZZZZZZZZZZZZZZZZZZZZZ", ADA);
      assert.match(u.message, /no longer exists/);
      assert.equal(await planCount(), before);
    });
  });
}

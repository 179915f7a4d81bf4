import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { asc, eq } from "drizzle-orm";
import { humanDecisions, incidents, triages } from "../../db/schema/index.ts";
import { memoryLine } from "../../src/triage/memory-text.ts";
import { ADMIN_TOKEN, call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";
import { type RecordingSender, recordingSender, waitFor } from "../helpers/sender.ts";
import {
  addTriageBackend,
  dataOf,
  TRIAGE_TEMPLATES,
  triageAnswer,
  triageEnv,
} from "../helpers/triage.ts";
import { startTestUpstream, type TestUpstream } from "../helpers/upstream.ts";

const CHAT = 515151;
const ADA = "Ada (@ada, 1)";
const HOUR = 3_600_000;

/** A critical HighErrorRate event of momo-app (the template "drain on errors" applies). */
const errors = (status: "firing" | "resolved" = "firing") => ({
  source: "momo-app",
  type: "HighErrorRate",
  severity: "critical",
  status,
  title: "HighErrorRate",
  summary: "5xx rate above 5%",
  labels: {
    alertname: "HighErrorRate",
    job: "momo-app",
    instance: "momo-app:80",
    severity: "critical",
  },
});

/** A second template for the same alerts: Propose fix uses it only when triage suggests it. */
const DRAIN_INSTANCE = { ...TRIAGE_TEMPLATES[0], name: "drain instance", target: "{{instance}}" };

/** The model answers triage requests with `triage` and report summaries with `summary`. */
function model(
  triage: string,
  summary = '{"summary":"A calm day: one incident, fixed by a plan."}',
) {
  return (body: Record<string, unknown>) => {
    const format = body.response_format as { json_schema?: { name?: string } } | undefined;
    return format?.json_schema?.name === "report_summary" ? summary : triage;
  };
}

for (const kind of testDatabases()) {
  describe(`AI triage, symptom memory, decisions and autonomy on ${kind.name}`, () => {
    let t: TestApp;
    let sender: RecordingSender;
    let upstream: TestUpstream;
    const clock = fakeClock("2026-11-23T01:00:00Z");
    const db = () => t.app.database.db;

    async function post(body: Record<string, unknown>): Promise<{ id: string; outcome: string }> {
      const res = await call(`${t.url}/api/events`, { token: INGEST_TOKEN, body });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body;
    }
    /** The alert an event opened or touched. */
    async function alertOf(eventId: string): Promise<string> {
      const rows = await t.app.database.db.query.events.findFirst({
        where: (e, { eq: is }) => is(e.id, eventId),
      });
      return rows?.alertId ?? assert.fail("the event has no alert");
    }
    async function lastTriage(alertId: string) {
      await t.app.triage.service.idle();
      const rows = await db()
        .select()
        .from(triages)
        .where(eq(triages.alertId, alertId))
        .orderBy(asc(triages.id));
      return rows.at(-1) ?? assert.fail("no triage");
    }
    const messageWith = async (text: string) =>
      (await waitFor(() => sender.messages.find((m) => m.text.includes(text)), 5000, text)) ??
      assert.fail(text);

    before(async () => {
      upstream = await startTestUpstream();
      sender = recordingSender();
      t = await startTestApp(
        await kind.open(),
        triageEnv({
          HEAL_TEMPLATES: JSON.stringify([...TRIAGE_TEMPLATES, DRAIN_INSTANCE]),
          TELEGRAM_ALERT_CHAT_IDS: String(CHAT),
          TRIAGE_TIMEOUT_S: "1",
          TRIAGE_MAX_PER_HOUR: "4",
        }),
        { sender, clock },
      );
      await addTriageBackend(t, upstream.url);
    });
    after(async () => {
      await t.stop();
      await upstream.close();
    });

    it("falls back to rules on a timeout, a refusal and invalid JSON, and past the hourly budget", async () => {
      upstream.behave({ kind: "chat", content: model(triageAnswer()) });
      const alertId = await alertOf((await post(errors())).id);
      assert.equal((await lastTriage(alertId)).source, "model", "call 1: automatic, answered");

      const reasons: (string | null)[] = [];
      for (const b of [
        { kind: "hang" as const },
        { kind: "chat" as const, content: "", refusal: "I can't help with that." },
        { kind: "chat" as const, content: "Sure! Here is the triage: {summary:" },
        { kind: "chat" as const, content: triageAnswer({ confidence: 7 }) },
      ]) {
        upstream.behave(b);
        const r = await t.app.triage.service.request(alertId, ADA);
        assert.equal(r.started, true, r.message);
        const row = await lastTriage(alertId);
        assert.equal(row.source, "rules");
        reasons.push(row.fallbackReason);
      }
      assert.deepEqual(reasons, [
        "timeout after 1 s",
        "the model refused",
        "invalid JSON from the model",
        "hourly limit of 4 model calls reached",
      ]);
      const msg = await messageWith("🧠 <b>Triage</b> · rules (hourly limit");
      assert.match(msg.text, /🩹 Suggested fix: template “drain on errors”/);

      clock.advance(HOUR + 1000);
      upstream.behave({ kind: "chat", content: model(triageAnswer({ confidence: 7 })) });
      await t.app.triage.service.request(alertId, ADA);
      const invalid = await lastTriage(alertId);
      assert.equal(invalid.modelCalled, true, "an hour later the model is asked again");
      assert.match(invalid.fallbackReason ?? "", /^invalid answer: confidence/);
    });

    it("remembers how a symptom ended: the next incident is 'seen 2 times, last fixed by' its plan", async () => {
      clock.advance(HOUR);
      const suggest = triageAnswer({ suggested_template: "drain instance" });
      upstream.behave({ kind: "chat", content: model(suggest) });
      // Still the first test's alert (a repeat): an admin asks for a fresh triage.
      const first = await alertOf((await post(errors())).id);
      assert.equal((await t.app.triage.service.request(first, ADA)).started, true);
      assert.equal((await lastTriage(first)).result?.suggestedTemplate, "drain instance");
      const fix = await t.app.heal.proposeFromAlert(first, ADA);
      assert.equal(fix.created, true, fix.message);
      const plan = fix.plan ?? assert.fail("no plan");
      assert.equal(plan.target, "momo-app:80", "the suggested template, not the first one");
      assert.equal((await t.app.heal.approve(plan.id, ADA)).changed, true);
      await t.app.heal.idle();
      assert.equal((await t.app.heal.store.get(plan.id))?.status, "succeeded");
      await post(errors("resolved"));
      const [resolved] = await db()
        .select()
        .from(incidents)
        .where(eq(incidents.id, plan.incidentId ?? ""));
      assert.equal(resolved?.status, "resolved");
      assert.equal(resolved?.symptomKey, "HighErrorRate|momo-app|5xx");
      assert.equal(resolved?.resolution?.how, "heal_plan");
      assert.equal(resolved?.resolution?.plan?.decidedBy, ADA);

      clock.advance(10 * 60_000);
      upstream.received.length = 0;
      const again = await alertOf((await post(errors())).id);
      const row = await lastTriage(again);
      assert.equal(row.source, "model");
      assert.match(
        row.result?.history ?? "",
        /^Seen \d+ times; last fixed by heal plan command momo-app:80 \(succeeded, approved by Ada\), 2026-11-23$/,
      );
      const data = dataOf(upstream.received.find((r) => r.body?.messages)?.body ?? {});
      assert.equal(data.past_incidents[0].resolution.how, "heal_plan");
      assert.equal(data.past_incidents[0].heal_plans[0].status, "succeeded");
      const [open] = await db().select().from(incidents).where(eq(incidents.status, "open"));
      const recall = await t.app.triage.memory.recallMany(open ? [open] : []);
      const line = memoryLine(
        recall.get(open?.id ?? "") ?? assert.fail("no recall"),
        "Asia/Taipei",
      );
      assert.match(line ?? "", /last fixed by heal plan command momo-app/);
    });

    it("records each human decision and computes the autonomy index per local day", async () => {
      // 2026-11-25 10:00 in Asia/Taipei: a day of its own.
      clock.set("2026-11-25T02:00:00Z");
      const crit = (instance: string) => ({
        ...errors(),
        type: "DiskFull",
        title: "DiskFull",
        labels: { alertname: "DiskFull", instance, severity: "critical" },
      });
      const acked = await alertOf((await post(crit("db-1"))).id);
      const muted = await alertOf((await post(crit("db-2"))).id);
      const warn = { source: "svc", type: "Slow", severity: "warning", title: "Slow", labels: {} };
      assert.equal((await post(warn)).outcome, "notified");
      assert.equal((await post(warn)).outcome, "deduplicated");
      assert.equal((await post({ ...warn, type: "Note", severity: "info" })).outcome, "recorded");
      await t.app.actions.acknowledge(acked, ADA);
      await t.app.actions.mute(muted, HOUR, ADA);
      await t.app.triage.service.idle();

      const actions = (await db().select().from(humanDecisions)).map((d) => d.action).sort();
      assert.deepEqual(actions, ["acknowledge", "heal_approve", "mute"]);
      const res = await call(`${t.url}/api/admin/stats/autonomy?days=30`, { token: ADMIN_TOKEN });
      assert.equal(res.status, 200);
      assert.equal(res.body.time_zone, "Asia/Taipei");
      assert.equal(res.body.days.length, 30);
      assert.deepEqual(res.body.days.at(-1), {
        date: "2026-11-25",
        notified: 3,
        decided: 2,
        index: 1 / 3,
      });
      assert.equal(res.body.days.at(-2).notified, 0);
      assert.equal(res.body.days.at(-2).index, null);
      const bad = await call(`${t.url}/api/admin/stats/autonomy?days=0`, { token: ADMIN_TOKEN });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, "days");
      assert.equal((await call(`${t.url}/api/admin/stats/autonomy`)).status, 401);
    });

    it("opens reports with the model's summary and shows triage counts, cost and the autonomy trend", async () => {
      clock.advance(2 * HOUR);
      upstream.behave({ kind: "chat", content: model(triageAnswer()) });
      const target = (base: string) => ({ chatIds: [CHAT], dedupBase: base });
      const text = await t.app.schedules.digests.report("daily", clock.now(), target("r1"));
      assert.match(
        text,
        /^📊 <b>Daily report<\/b>.*\n.*\n<i>Times in Asia\/Taipei<\/i>\n🧠 <i>A calm day: one incident, fixed by a plan\.<\/i> \(model summary\)/,
      );
      assert.match(text, /🤖 Autonomy 33\.3%: 1 of 3 notified events needed no human decision/);
      assert.match(text, /trend, 7 days, oldest first: (—|[\d.]+%)( · (—|[\d.]+%)){6}/);
      assert.match(
        text,
        /<b>Triage<\/b>: \d+ alerts \(\d+ by the model, \d+ by rules\) · \d+ model calls · \$0\.\d{4}/,
      );

      upstream.behave({ kind: "status", status: 500 });
      const plain = await t.app.schedules.digests.report("daily", clock.now(), target("r2"));
      assert.ok(!plain.includes("model summary"), "no summary when no model answers");
      const reportRows = await db().select().from(triages).where(eq(triages.kind, "report"));
      assert.deepEqual(
        reportRows.map((r) => r.source),
        ["model", "rules"],
      );
    });
  });
}

describe("AI triage without TRIAGE_MODEL", () => {
  let t: TestApp;
  let sender: RecordingSender;

  before(async () => {
    sender = recordingSender();
    const kind = testDatabases()[0] ?? assert.fail("no database");
    t = await startTestApp(
      await kind.open(),
      { TELEGRAM_ALERT_CHAT_IDS: String(CHAT) },
      { sender },
    );
  });
  after(() => t.stop());

  it("triages nothing by itself and answers a Triage press by rules, saying so", async () => {
    const res = await call(`${t.url}/api/events`, { token: INGEST_TOKEN, body: errors() });
    assert.equal(res.status, 202);
    await waitFor(() => sender.messages.length > 0, 5000, "the alert");
    await t.app.triage.service.idle();
    assert.equal((await t.app.database.db.select().from(triages)).length, 0);

    const ev = await t.app.database.db.query.events.findFirst();
    const answer = await t.app.triage.service.request(ev?.alertId ?? "", ADA);
    assert.match(answer.message, /by rules: no TRIAGE_MODEL/);
    const msg =
      (await waitFor(
        () => sender.messages.find((m) => m.text.includes("rules (no model configured)")),
        5000,
        "the rules section",
      )) ?? assert.fail("no message");
    assert.match(msg.text, /📚 First time this symptom is seen/);
    assert.deepEqual(
      msg.keyboard?.flat().map((b) => b.text),
      ["✋ Acknowledge", "✅ Resolve", "🔕 Mute 1 h", "🔕 Mute 24 h", "🧠 Triage"],
    );
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { count, eq, sql } from "drizzle-orm";
import { rowsOf } from "../../db/client.ts";
import { alerts, events } from "../../db/schema/index.ts";
import { parseApiEvents } from "../../src/events/api-event.ts";
import { call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";
import { type RecordingSender, recordingSender, waitFor } from "../helpers/sender.ts";

const CHAT = 515151;
const MIN = 60_000;

for (const kind of testDatabases()) {
  describe(`EventRouter over POST /api/events on ${kind.name}`, () => {
    let t: TestApp;
    let sender: RecordingSender;
    const clock = fakeClock();
    const post = (body: unknown) => call(`${t.url}/api/events`, { token: INGEST_TOKEN, body });
    const event = (over: Record<string, unknown> = {}) => ({
      source: "momo-app",
      type: "DiskFull",
      severity: "warning",
      status: "firing",
      title: "Disk almost full",
      summary: "/var at 93%",
      labels: { instance: "db-1:9100" },
      occurred_at: "2026-11-23T09:00:00+08:00",
      ...over,
    });
    const outcome = async (body: unknown) => {
      const res = await post(body);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body.outcome as string;
    };
    const messagesAbout = (text: string) => sender.messages.filter((m) => m.text.includes(text));

    before(async () => {
      sender = recordingSender();
      t = await startTestApp(
        await kind.open(),
        { TELEGRAM_ALERT_CHAT_IDS: String(CHAT), DEDUP_WINDOW_WARNING_S: "300" },
        { sender, clock, outboxPacing: { perChatMs: 20 } },
      );
    });
    after(() => t.stop());

    it("answers 202 with the id and outcome, and 400 naming the bad field without storing", async () => {
      const ok = await post(event({ type: "Accepted", title: "Accepted" }));
      assert.equal(ok.status, 202);
      assert.match(ok.body.id, /^[0-9A-Z]{26}$/);
      assert.equal(ok.body.outcome, "notified");
      const [before] = await t.app.database.db.select({ n: count() }).from(events);
      const bad = await post(event({ severity: "loud" }));
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, "severity");
      const badTime = await post(event({ occurred_at: "yesterday" }));
      assert.equal(badTime.body.error.field, "occurred_at");
      const badBatch = await post([event(), event({ labels: { instance: 7 } })]);
      assert.equal(badBatch.status, 400);
      assert.equal(badBatch.body.error.field, "1.labels.instance");
      assert.equal((await call(`${t.url}/api/events`, { body: event() })).status, 401);
      const [after] = await t.app.database.db.select({ n: count() }).from(events);
      assert.equal(after?.n, before?.n, "nothing stored from a refused request");
      const batch = await post([
        event({ type: "B1", title: "B1" }),
        event({ type: "B2", title: "B2", severity: "info" }),
      ]);
      assert.deepEqual(
        batch.body.events.map((e: { outcome: string }) => e.outcome),
        ["notified", "recorded"],
      );
    });

    it("counts repeats inside the window on one message and announces again after it", async () => {
      assert.equal(await outcome(event()), "notified");
      clock.advance(MIN);
      assert.equal(await outcome(event()), "deduplicated");
      assert.equal(await outcome(event()), "deduplicated");
      await waitFor(() => messagesAbout("Disk almost full")[0]?.text.includes("×3"), 5000, "×3");
      assert.equal(messagesAbout("Disk almost full").length, 1, "one message while in the window");
      assert.match(
        messagesAbout("Disk almost full")[0]?.text ?? "",
        /Repeated: ×3, last 09:01 \(just now\)/,
      );
      clock.advance(5 * MIN); // the warning window (DEDUP_WINDOW_WARNING_S=300) has passed
      assert.equal(await outcome(event()), "notified");
      await waitFor(() => messagesAbout("Disk almost full").length === 2, 5000, "reminder");
      const [old, fresh] = messagesAbout("Disk almost full");
      await waitFor(() => old?.text.includes("newer message"), 5000, "old message retired");
      assert.equal(old?.keyboard, null, "the retired message has no buttons");
      assert.match(fresh?.text ?? "", /×4/);
      assert.ok(fresh?.keyboard, "the new message carries the buttons");
      assert.equal(await outcome(event()), "deduplicated", "the window restarts");
    });

    it("does not announce an acknowledged alert again, however long it fires", async () => {
      const ack = event({ type: "Acked", title: "Acked alert" });
      await outcome(ack);
      const [row] = await t.app.database.db.select().from(alerts).where(eq(alerts.type, "Acked"));
      await t.app.actions.acknowledge(row?.id as string, "Ada");
      clock.advance(60 * MIN);
      assert.equal(await outcome(ack), "deduplicated");
    });

    it("inhibits a warning while a critical with the same alertname and instance fires", async () => {
      const crit = event({ type: "Latency", severity: "critical", labels: { instance: "api-1" } });
      const warnSame = event({ type: "Latency", labels: { instance: "api-1" }, title: "w-same" });
      const warnOther = event({ type: "Latency", labels: { instance: "api-2" }, title: "w-other" });
      assert.equal(await outcome(crit), "notified");
      assert.equal(await outcome(warnSame), "inhibited");
      assert.equal(await outcome(warnOther), "notified");
      assert.equal(await outcome({ ...crit, status: "resolved" }), "notified");
      assert.equal(await outcome(warnSame), "notified", "free again once the critical resolved");
      const stored = await t.app.database.db
        .select()
        .from(events)
        .where(eq(events.outcome, "inhibited"));
      assert.equal(stored.length, 1, "the inhibited event is stored");
    });

    it("mutes matching events until the mute ends, by time alone", async () => {
      await t.app.mutes.create({
        matchers: [
          { name: "alertname", op: "=~", value: "Queue.*" },
          { name: "instance", op: "!=", value: "q-2" },
        ],
        durationMs: 30 * MIN,
        createdBy: "Ada",
        reason: "maintenance",
      });
      const q1 = event({ type: "QueueBacklog", labels: { instance: "q-1" }, title: "Backlog q-1" });
      assert.equal(await outcome(q1), "muted");
      assert.equal(await outcome({ ...q1, type: "XQueueBacklog" }), "notified", "regex anchored");
      assert.equal(await outcome({ ...q1, labels: { instance: "q-2" } }), "notified");
      const status = await t.app.status.snapshot();
      assert.equal(status.mutes.active, 1);
      assert.equal(status.mutes.mutedEvents24h, 1);
      clock.advance(31 * MIN);
      assert.equal(await outcome(q1), "notified", "an expired mute stops applying");
    });

    it("mutes an alert from its button, shows it on the message, and unmutes", async () => {
      const e = event({ type: "Cpu", labels: { instance: "c-1" }, title: "CPU hot" });
      await outcome(e);
      const [row] = await t.app.database.db.select().from(alerts).where(eq(alerts.type, "Cpu"));
      const res = await t.app.actions.mute(row?.id as string, 3_600_000, "Ada");
      assert.equal(res.changed, true);
      await waitFor(() => messagesAbout("CPU hot")[0]?.text.includes("Muted until"), 5000, "muted");
      const unmute = messagesAbout("CPU hot")[0]
        ?.keyboard?.flat()
        .find((b) => b.text.includes("Unmute"));
      assert.ok(unmute, "an Unmute button replaces the mute buttons");
      assert.equal(await outcome(e), "muted");
      assert.equal(await outcome({ ...e, labels: { instance: "c-2" } }), "notified");
      await t.app.actions.unmute(unmute.callback_data.slice("unmute:".length), "Ada");
      assert.equal(await outcome(e), "deduplicated");
      await waitFor(() => !messagesAbout("CPU hot")[0]?.text.includes("Muted"), 5000, "unmuted");
    });

    it("resolves by hand: the incident records who, and a new firing starts a new message", async () => {
      const e = event({ type: "Down", severity: "critical", labels: { instance: "d-1" } });
      await outcome({ ...e, title: "Service down" });
      const [row] = await t.app.database.db.select().from(alerts).where(eq(alerts.type, "Down"));
      assert.ok(row?.incidentId);
      // Resolve once the message is out: a resolve before it is sent would cancel it.
      await waitFor(() => messagesAbout("Service down").length === 1, 5000, "the message");
      assert.equal((await t.app.actions.resolve(row.id, "Ada")).changed, true);
      assert.equal((await t.app.actions.resolve(row.id, "Bob")).changed, false);
      const inc = await t.app.incidents.get(row.incidentId);
      assert.equal(inc?.status, "resolved");
      assert.equal(inc?.resolvedBy, "Ada");
      await waitFor(() => messagesAbout("Service down")[0]?.text.includes("by Ada"), 5000, "edit");
      assert.equal(await outcome({ ...e, title: "Service down" }), "notified");
    });

    it("opens one alert for concurrent first events of a fingerprint", async () => {
      const e = event({ type: "Race", labels: { instance: "r-1" }, title: "Race" });
      const answers = await Promise.all(Array.from({ length: 12 }, () => post(e)));
      assert.deepEqual([...new Set(answers.map((a) => a.status))], [202]);
      const outcomes = answers.map((a) => a.body.outcome).sort();
      assert.deepEqual(outcomes, [...Array(11).fill("deduplicated"), "notified"]);
      const rows = await t.app.database.db.select().from(alerts).where(eq(alerts.type, "Race"));
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.eventCount, 12);
    });

    it("routes webhooks that arrive together in one shared transaction, each answered with its own", async () => {
      // Twenty webhooks submitted in one turn of the event loop: the group commit gives them
      // one transaction. Rows written by one transaction carry the same xmin (its id).
      const webhook = (n: number) =>
        parseApiEvents(
          [
            event({ type: "Shared", title: `Shared ${n}`, labels: { instance: `s-${n}` } }),
            event({ type: "Shared", labels: { instance: `s-${n}` } }),
            event({ type: "SharedInfo", severity: "info", labels: { instance: `s-${n}` } }),
          ],
          clock,
        ).events;
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, n) => t.app.router.ingest(webhook(n))),
      );
      for (const a of answers) {
        assert.deepEqual(
          a.map((r) => r.outcome),
          ["notified", "deduplicated", "recorded"],
        );
      }
      const ids = answers.flat().map((r) => r.id);
      const rows = rowsOf(
        await t.app.database.db.execute(
          sql`select id, xmin::text as tx from events where type in ('Shared', 'SharedInfo')`,
        ),
      );
      assert.deepEqual(rows.map((r) => r.id).sort(), [...ids].sort(), "every event stored once");
      assert.equal(new Set(rows.map((r) => r.tx)).size, 1, "one transaction for the twenty");
      const opened = await t.app.database.db.select().from(alerts).where(eq(alerts.type, "Shared"));
      assert.equal(opened.length, 20);
      assert.ok(opened.every((a) => a.eventCount === 2));
    });

    it("resolves and opens a fingerprint again within one batch: one new alert, its message only", async () => {
      const e = event({ type: "Flap", severity: "critical", labels: { instance: "f-1" } });
      const resolved = { ...e, status: "resolved" };
      assert.equal(await outcome({ ...e, title: "Flap one" }), "notified");
      await waitFor(() => messagesAbout("Flap one").length === 1, 5000, "the first message");
      // The firing alert resolves and a new episode opens, in that order, in one transaction.
      const batch = await post([
        resolved,
        { ...e, title: "Flap two" },
        resolved,
        { ...e, title: "Flap three" },
      ]);
      assert.equal(batch.status, 202, JSON.stringify(batch.body));
      const rows = await t.app.database.db.select().from(alerts).where(eq(alerts.type, "Flap"));
      assert.deepEqual(Object.fromEntries(rows.map((r) => [r.title, r.status])), {
        "Flap one": "resolved",
        "Flap two": "resolved",
        "Flap three": "firing",
      });
      await waitFor(
        () => messagesAbout("Flap three").length === 1,
        5000,
        "the new episode's message",
      );
      // "Flap two" opened and ended inside the batch: nobody is told about it.
      assert.equal(messagesAbout("Flap two").length, 0);
      const incidents = new Set(rows.map((r) => r.incidentId));
      assert.equal(incidents.size, 3, "each critical episode has its own incident");
      const first = rows.find((r) => r.title === "Flap one");
      assert.equal((await t.app.incidents.get(first?.incidentId ?? ""))?.status, "resolved");
    });

    it("counts outcomes and active mutes in /metrics", async () => {
      const m = [{ name: "alertname", op: "=" as const, value: "Gauge" }];
      await t.app.mutes.create({ matchers: m, durationMs: MIN, createdBy: "Ada", reason: "" });
      const text = (await call(`${t.url}/metrics`)).body as string;
      assert.match(
        text,
        /commandpost_events_total\{source="momo-app",severity="warning",outcome="inhibited"\} 1/,
      );
      assert.match(
        text,
        /commandpost_events_total\{source="momo-app",severity="warning",outcome="muted"\} [1-9]/,
      );
      assert.match(
        text,
        /commandpost_events_total\{source="momo-app",severity="warning",outcome="deduplicated"\} [1-9]/,
      );
      assert.match(text, /commandpost_mutes_active 1/);
      assert.match(text, /commandpost_outbox_pending \d/);
    });
  });
}

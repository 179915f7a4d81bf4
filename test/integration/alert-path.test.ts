import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { count } from "drizzle-orm";
import { alerts, deliveries, events, incidents } from "../../db/schema/index.ts";
import { call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { testDatabases } from "../helpers/db.ts";
import { fixture } from "../helpers/fixtures.ts";
import { type RecordingSender, recordingSender, waitFor } from "../helpers/sender.ts";

const CHAT = 424242;

for (const kind of testDatabases()) {
  describe(`alert path on ${kind.name}`, () => {
    let t: TestApp;
    let sender: RecordingSender;
    const rows = async (
      table: typeof events | typeof alerts | typeof incidents | typeof deliveries,
    ) => {
      const [r] = await t.app.database.db.select({ n: count() }).from(table);
      return r?.n ?? 0;
    };

    before(async () => {
      sender = recordingSender();
      t = await startTestApp(
        await kind.open(),
        { TELEGRAM_ALERT_CHAT_IDS: String(CHAT) },
        { sender },
      );
    });
    after(() => t.stop());

    it("refuses a wrong token with 401 and stores nothing", async () => {
      const res = await call(`${t.url}/webhooks/alertmanager`, {
        token: "wrong",
        body: fixture("alertmanager-firing.json"),
      });
      assert.equal(res.status, 401);
      const none = await call(`${t.url}/webhooks/alertmanager`, {
        body: fixture("alertmanager-firing.json"),
      });
      assert.equal(none.status, 401);
      assert.equal(await rows(events), 0);
    });

    it("refuses a malformed body with 400 naming the field, and stores nothing", async () => {
      const body = fixture<Record<string, unknown>>("alertmanager-firing.json");
      (body.alerts as Record<string, unknown>[])[1] = {
        status: "firing",
        labels: { alertname: "X" },
      };
      const res = await call(`${t.url}/webhooks/alertmanager`, { token: INGEST_TOKEN, body });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.field, "alerts.1.startsAt");
      assert.match(res.body.error.message, /alerts\.1\.startsAt/);
      const notJson = await call(`${t.url}/webhooks/alertmanager`, {
        token: INGEST_TOKEN,
        body: "{not json",
      });
      assert.equal(notJson.status, 400);
      assert.equal(await rows(events), 0);
      assert.equal(await rows(alerts), 0);
      assert.equal(await rows(deliveries), 0);
    });

    it("stores a real firing group, opens incidents for criticals and sends one message per alert", async () => {
      const res = await call(`${t.url}/webhooks/alertmanager`, {
        token: INGEST_TOKEN,
        body: fixture("alertmanager-firing.json"),
      });
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.events.map((e: { outcome: string }) => e.outcome),
        ["notified", "notified"],
      );
      assert.equal(await rows(events), 2);
      assert.equal(await rows(incidents), 2);
      await waitFor(() => sender.messages.length === 2, 5000, "two messages");
      const msg = sender.messages.find((m) => m.text.includes("momo-app:80"));
      assert.ok(msg, "message names the instance");
      assert.equal(msg.chatId, CHAT);
      assert.match(msg.text, /CRITICAL/);
      assert.match(msg.text, /HighErrorRate/);
      assert.match(msg.text, /5xx rate above 5%/);
      assert.match(
        msg.text,
        /Started: 23 Nov( 2026)? 08:33 \(.+\)[\s\S]*Times in Asia\/Taipei/,
        "start time in REPORT_TIMEZONE",
      );
      assert.equal(msg.keyboard?.[0]?.[0]?.text, "✋ Acknowledge");
      assert.match(msg.keyboard?.[0]?.[0]?.callback_data ?? "", /^ack:[0-9A-Z]{26}$/);
      assert.equal(msg.disableNotification, false, "critical alerts notify");
    });

    it("counts a repeat instead of sending again, and edits the message", async () => {
      const res = await call(`${t.url}/webhooks/alertmanager`, {
        token: INGEST_TOKEN,
        body: fixture("alertmanager-firing.json"),
      });
      assert.deepEqual(
        res.body.events.map((e: { outcome: string }) => e.outcome),
        ["deduplicated", "deduplicated"],
      );
      await waitFor(
        () => sender.messages.every((m) => m.text.includes("×2")),
        5000,
        "repeat count in both messages",
      );
      assert.equal(sender.messages.length, 2);
    });

    it("acknowledging records who and when and edits the message in place", async () => {
      const msg = sender.messages.find((m) => m.text.includes("momo-app:80"));
      const alertId = msg?.keyboard?.[0]?.[0]?.callback_data.slice(4) as string;
      const first = await t.app.actions.acknowledge(alertId, "Ada (@ada, 1)");
      assert.equal(first?.changed, true);
      const second = await t.app.actions.acknowledge(alertId, "Bob (@bob, 2)");
      assert.equal(second?.changed, false, "the first acknowledgement wins");
      await waitFor(() => msg?.text.includes("Acknowledged by Ada"), 5000, "acknowledged edit");
      const buttons = msg?.keyboard?.flat().map((b) => b.text);
      assert.ok(!buttons?.some((b) => b.includes("Acknowledge")), "the Acknowledge button is gone");
      assert.ok(
        buttons?.some((b) => b.includes("Resolve")),
        "Resolve stays",
      );
      const inc = await t.app.incidents.recent(10);
      assert.equal(inc.find((i) => i.acknowledgedBy === "Ada (@ada, 1)")?.status, "acknowledged");
    });

    it("resolves the alert that resolved, closes its incident, keeps the other firing", async () => {
      const res = await call(`${t.url}/webhooks/alertmanager`, {
        token: INGEST_TOKEN,
        body: fixture("alertmanager-resolved.json"),
      });
      assert.deepEqual(
        res.body.events.map((e: { outcome: string }) => e.outcome),
        ["notified", "deduplicated"],
      );
      const msg = sender.messages.find((m) => m.text.includes("momo-app:80"));
      await waitFor(() => msg?.text.includes("RESOLVED"), 5000, "resolved edit");
      const inc = await t.app.incidents.recent(10);
      assert.deepEqual(inc.map((i) => i.status).sort(), ["open", "resolved"]);
      const again = await call(`${t.url}/webhooks/alertmanager`, {
        token: INGEST_TOKEN,
        body: fixture("alertmanager-resolved.json"),
      });
      assert.equal(
        again.body.events[0].outcome,
        "recorded",
        "a re-sent resolved alert changes nothing",
      );
    });
  });
}

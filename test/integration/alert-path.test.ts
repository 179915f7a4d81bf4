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

    it("stores a real firing group, opens incidents for criticals and sends one group message", async () => {
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
      await waitFor(() => sender.messages.length === 1, 5000, "one message");
      const msg = sender.messages[0];
      assert.ok(msg);
      assert.equal(msg.chatId, CHAT);
      const lines = msg.text.split("\n");
      assert.equal(lines[0], "🔴 2 critical · <b>HighErrorRate</b>");
      assert.match(msg.text, /🔴 HighErrorRate · <code>momo-app:80<\/code> · firing · #\d+/);
      assert.match(msg.text, /🔴 HighErrorRate · <code>momo-app:81<\/code> · firing · #\d+/);
      assert.match(msg.text, /Times in Asia\/Taipei/, "times in REPORT_TIMEZONE");
      assert.equal(msg.keyboard?.[0]?.[0]?.text, "✋ Acknowledge all");
      assert.match(msg.keyboard?.[0]?.[0]?.callback_data ?? "", /^gack:[0-9A-Z]{26}$/);
      assert.equal(msg.disableNotification, false, "a group with a critical notifies");
    });

    /** The id of the member alert on `instance`, from its drill-down button. */
    const memberId = (instance: string) => {
      const b = sender.messages[0]?.keyboard?.flat().find((x) => x.text.endsWith(instance));
      return b?.callback_data.replace(/^gshow:/, "") as string;
    };

    it("counts a repeat instead of sending again", async () => {
      const res = await call(`${t.url}/webhooks/alertmanager`, {
        token: INGEST_TOKEN,
        body: fixture("alertmanager-firing.json"),
      });
      assert.deepEqual(
        res.body.events.map((e: { outcome: string }) => e.outcome),
        ["deduplicated", "deduplicated"],
      );
      const [alert] = await t.app.database.db.select().from(alerts).limit(1);
      assert.equal(alert?.eventCount, 2);
      assert.equal(sender.messages.length, 1);
    });

    it("acknowledging records who and when and edits the group message in place", async () => {
      const msg = sender.messages[0];
      const alertId = memberId("momo-app:80");
      assert.match(alertId, /^[0-9A-Z]{26}$/);
      const first = await t.app.actions.acknowledge(alertId, "Ada (@ada, 1)");
      assert.equal(first?.changed, true);
      const second = await t.app.actions.acknowledge(alertId, "Bob (@bob, 2)");
      assert.equal(second?.changed, false, "the first acknowledgement wins");
      await waitFor(
        () => msg?.text.includes("momo-app:80</code> · acknowledged"),
        5000,
        "acknowledged edit",
      );
      const buttons = msg?.keyboard?.flat().map((b) => b.text);
      assert.ok(buttons?.includes("✋ Acknowledge all"), "momo-app:81 still waits for one");
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
      const msg = sender.messages[0];
      await waitFor(
        () => /✅ HighErrorRate · <code>momo-app:80<\/code> · resolved/.test(msg?.text ?? ""),
        5000,
        "resolved edit",
      );
      assert.equal(msg?.text.split("\n")[0], "🔴 1 critical · <b>HighErrorRate</b>");
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

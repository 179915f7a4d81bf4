import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inArray, sql } from "drizzle-orm";
import { alerts, deliveries, mutes } from "../../db/schema/index.ts";
import { call, INGEST_TOKEN, type TestApp } from "../helpers/app.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import { testDatabases } from "../helpers/db.ts";
import {
  type BotMessage,
  botMessages,
  pressButton,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";

const ADMIN = 3003;
const GROUP_KEY = '{}/{job="api"}:{job="api"}';

/** One alert of an Alertmanager webhook (shape of test/fixtures/alertmanager-firing.json). */
function amAlert(alertname: string, instance: string, severity: string | null, status = "firing") {
  const labels: Record<string, string> = { alertname, instance, job: "api" };
  if (severity) labels.severity = severity;
  return {
    status,
    labels,
    annotations: { summary: `${alertname} on ${instance}` },
    startsAt: "2026-11-23T00:33:28.682881586Z",
    endsAt: status === "resolved" ? "2026-11-23T00:43:28Z" : "0001-01-01T00:00:00Z",
    generatorURL: "http://prometheus:9090/graph?g0.expr=up",
    fingerprint: `${alertname}-${instance}`.replace(/[^a-z0-9]/gi, "").toLowerCase(),
  };
}

/** A webhook of Alertmanager's group `job="api"` carrying `list`. */
function groupWebhook(list: ReturnType<typeof amAlert>[]) {
  return {
    receiver: "commandpost",
    status: list.some((a) => a.status === "firing") ? "firing" : "resolved",
    alerts: list,
    groupLabels: { job: "api" },
    commonLabels: { job: "api" },
    commonAnnotations: {},
    externalURL: "http://alertmanager.example:9093",
    version: "4",
    groupKey: GROUP_KEY,
    truncatedAlerts: 0,
  };
}

/** 4 critical, 3 warning and 3 without a severity label (warning): ten alerts, one group. */
const TEN = [
  ...[1, 2, 3, 4].map((i) => amAlert("HighErrorRate", `api-${i}:80`, "critical")),
  ...[5, 6, 7].map((i) => amAlert("SlowRequests", `api-${i}:80`, "warning")),
  ...[8, 9, 10].map((i) => amAlert("DiskFillingUp", `api-${i}:80`, null)),
];

for (const kind of testDatabases()) {
  describe(`one message per alert group (emulator, ${kind.name})`, () => {
    let bot: BotTestApp;
    let t: TestApp;
    let admin: TelegramClient;
    const ingest = async (body: unknown) => {
      const res = await call(`${t.url}/webhooks/alertmanager`, { token: INGEST_TOKEN, body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    };
    const db = () => t.app.database.db;
    /** Waits until the outbox has nothing left to send or edit. */
    const settled = async () => {
      for (let i = 0; i < 400; i++) {
        const [row] = await db()
          .select({ n: sql<number>`count(*)::int` })
          .from(deliveries)
          .where(inArray(deliveries.status, ["pending", "sending"]));
        if (row?.n === 0) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail("the outbox never drained");
    };
    /** sendMessage calls the emulator stored with disable_notification false or unset. */
    const notifying = () =>
      (
        bot.emulator.server as unknown as {
          storage: { botMessages: { message: { disable_notification?: unknown } }[] };
        }
      ).storage.botMessages.filter((u) => !u.message.disable_notification).length;
    const groupMessage = (match: (m: BotMessage) => boolean, what: string) =>
      waitForBotMessage(admin, ADMIN, (m) => m.text.includes("job=api") && match(m), what);

    before(async () => {
      bot = await startBotTestApp({ adminIds: [ADMIN], database: await kind.open() });
      t = bot.t;
      admin = bot.user(ADMIN, "Ada", "ada");
    });
    after(async () => {
      await bot?.stop();
    });

    it("a ten-alert webhook becomes one message that pings once", async () => {
      await ingest(groupWebhook(TEN));
      const m = await groupMessage(() => true, "the group message");
      await settled();
      assert.equal((await botMessages(admin, ADMIN)).length, 1, "exactly one message");
      assert.ok(notifying() <= 2, `at most 2 notifying messages, saw ${notifying()}`);
      const lines = m.text.split("\n");
      assert.equal(lines[0], "🔴 4 critical · 🟠 6 warning · job=api");
      assert.equal(lines.filter((l) => / · firing( · #\d+)?$/.test(l)).length, 10);
      assert.match(
        m.text,
        /🔴 HighErrorRate · api-1:80 · firing · #\d+/,
        "criticals name their incident",
      );
      const labels = m.buttons.map((b) => b.text);
      assert.ok(labels.includes("✋ Acknowledge all") && labels.includes("🔕 Mute group 1 h"));
      assert.equal(m.buttons.length, 2 + 8, "a drill-down button for the first 8 firing members");
      const rows = await db().select().from(alerts);
      assert.equal(rows.length, 10);
      assert.equal(new Set(rows.map((r) => r.groupId)).size, 1, "all ten share one group");
      assert.ok(rows[0]?.groupId);
    });

    it("resolving two members edits the same message", async () => {
      await ingest(
        groupWebhook([
          amAlert("HighErrorRate", "api-4:80", "critical", "resolved"),
          amAlert("DiskFillingUp", "api-10:80", null, "resolved"),
        ]),
      );
      const m = await groupMessage(
        (x) => x.text.split("\n").filter((l) => / · resolved( · #\d+)?$/.test(l)).length === 2,
        "the two resolved lines",
      );
      assert.equal(m.text.split("\n")[0], "🔴 3 critical · 🟠 5 warning · job=api");
      await settled();
      assert.equal((await botMessages(admin, ADMIN)).length, 1, "still one message");
    });

    it("a later alert of the group joins the live message without a new one", async () => {
      const before = notifying();
      await ingest(groupWebhook([amAlert("HighErrorRate", "api-11:80", "critical")]));
      await groupMessage((x) => x.text.includes("api-11:80 · firing"), "the joined member");
      await settled();
      assert.equal((await botMessages(admin, ADMIN)).length, 1, "no new message");
      assert.equal(notifying(), before, "no ping for a join");
    });

    it("Acknowledge all acknowledges every firing member and edits the message", async () => {
      const m = await groupMessage(() => true, "the group message");
      await pressButton(admin, m, "Acknowledge all");
      const acked = await groupMessage(
        (x) => !x.text.includes(" · firing"),
        "every member acknowledged",
      );
      assert.equal(acked.text.split("\n").filter((l) => l.includes(" · acknowledged")).length, 9);
      assert.ok(!acked.buttons.some((b) => b.text === "✋ Acknowledge all"));
      const rows = await db().select().from(alerts);
      for (const r of rows.filter((x) => x.status === "firing")) {
        assert.equal(r.acknowledgedBy, `Ada (@ada, ${ADMIN})`, `${r.labels.instance} acknowledged`);
      }
    });

    it("a member's button shows its own message with its buttons", async () => {
      const m = await groupMessage(() => true, "the group message");
      const button = m.buttons.find((b) => b.text.includes("SlowRequests api-5:80"));
      assert.ok(button, `a button for api-5 (has ${m.buttons.map((b) => b.text)})`);
      await pressButton(admin, m, "SlowRequests api-5:80");
      const own = await waitForBotMessage(
        admin,
        ADMIN,
        (x) => x.text.startsWith("🟠 WARNING · SlowRequests · api-5:80"),
        "the member's own message",
      );
      const labels = own.buttons.map((b) => b.text);
      for (const l of ["✅ Resolve", "🔕 Mute 1 h", "🧠 Triage"]) assert.ok(labels.includes(l), l);
      assert.match(own.text, /Acknowledged by Ada/);
    });

    it("Mute group mutes the group's labels", async () => {
      const m = await groupMessage(() => true, "the group message");
      await pressButton(admin, m, "Mute group 1 h");
      // The press is answered after the mute and the members' change commit: wait for both.
      const firingUnmuted = async () =>
        (await db().select().from(alerts)).filter((a) => a.status === "firing" && !a.muteId);
      for (let i = 0; i < 160 && (await firingUnmuted()).length > 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const rows = await db().select().from(mutes);
      assert.equal(rows.length, 1);
      assert.deepEqual(rows[0]?.matchers, [{ name: "job", op: "=", value: "api" }]);
      const muted = await db().select().from(alerts);
      assert.ok(muted.filter((a) => a.status === "firing").every((a) => a.muteId === rows[0]?.id));
    });

    it("a lone alert keeps its single-alert message", async () => {
      const count = (await botMessages(admin, ADMIN)).length;
      const lone = amAlert("DiskFull", "db-1:9100", "critical");
      lone.labels.job = "db"; // outside the muted group
      await ingest({
        ...groupWebhook([lone]),
        groupKey: '{}:{alertname="DiskFull"}',
        groupLabels: { alertname: "DiskFull" },
      });
      const m = await waitForBotMessage(
        admin,
        ADMIN,
        (x) => x.text.startsWith("🔴 CRITICAL · DiskFull · db-1:9100"),
        "the single alert",
      );
      assert.ok(m.buttons.some((b) => b.text === "✋ Acknowledge"));
      await settled();
      assert.equal((await botMessages(admin, ADMIN)).length, count + 1);
    });
  });
}

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eq } from "drizzle-orm";
import { alerts } from "../../db/schema/index.ts";
import { call, INGEST_TOKEN, type TestApp } from "../helpers/app.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import {
  type BotMessage,
  botMessages,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";

const ADMIN = 2002;
const STRANGER = 7777;

/** An Alertmanager webhook v4 body with one alert (shape of test/fixtures). */
function webhook(
  instance: string,
  opts: { severity?: string; status?: string; name?: string } = {},
) {
  const status = opts.status ?? "firing";
  return {
    version: "4",
    receiver: "bot",
    status,
    alerts: [
      {
        status,
        labels: {
          alertname: opts.name ?? "HighErrorRate",
          instance,
          job: "momo-app",
          severity: opts.severity ?? "warning",
        },
        annotations: { summary: `5xx rate above 5% on ${instance}` },
        startsAt: "2026-11-23T00:33:28Z",
        endsAt: status === "resolved" ? "2026-11-23T00:43:28Z" : "0001-01-01T00:00:00Z",
      },
    ],
  };
}

describe("EventRouter through the bot (telegram-test-api emulator)", () => {
  let bot: BotTestApp;
  let t: TestApp;
  let admin: TelegramClient;
  let stranger: TelegramClient;
  const ingest = async (body: unknown) => {
    const res = await call(`${t.url}/webhooks/alertmanager`, { token: INGEST_TOKEN, body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.events[0].outcome as string;
  };
  const about = async (instance: string) =>
    (await botMessages(admin, ADMIN)).filter((m) => m.text.includes(` · ${instance}\n`));
  const waitAbout = (instance: string, match: (m: BotMessage) => boolean, what: string) =>
    waitForBotMessage(admin, ADMIN, (m) => m.text.includes(` · ${instance}\n`) && match(m), what);
  const press = (who: TelegramClient, m: BotMessage, label: string) => {
    const button = m.buttons.find((b) => b.text.includes(label));
    assert.ok(button, `button "${label}" on the message (has ${m.buttons.map((b) => b.text)})`);
    return who.sendCallback(
      who.makeCallbackQuery(button.callback_data, {
        message: { message_id: m.messageId, chat: { id: ADMIN } },
      }),
    );
  };
  const say = (text: string) =>
    text.startsWith("/")
      ? admin.sendCommand(admin.makeCommand(text))
      : admin.sendMessage(admin.makeMessage(text));
  const reply = (match: (m: BotMessage) => boolean, what: string) =>
    waitForBotMessage(admin, ADMIN, match, what);

  before(async () => {
    // Pacing itself is proven in test/integration/outbox-lanes.test.ts; keep this suite quick.
    bot = await startBotTestApp({
      adminIds: [ADMIN],
    });
    t = bot.t;
    admin = bot.user(ADMIN, "Ada", "ada");
    stranger = bot.user(STRANGER, "Eve", "eve");
  });
  after(async () => {
    await bot.stop();
  });

  it("turns a storm of repeats into one message edited with the count", async () => {
    const outcomes = [];
    for (let i = 0; i < 25; i++) outcomes.push(await ingest(webhook("storm-1")));
    assert.equal(outcomes.filter((o) => o === "notified").length, 1);
    await waitAbout("storm-1", (m) => m.text.includes("Repeated: ×25"), "the ×25 edit");
    assert.equal((await about("storm-1")).length, 1, "one message for the whole storm");
  });

  it("edits the message to resolved when the alert resolves", async () => {
    assert.equal(await ingest(webhook("storm-1", { status: "resolved" })), "notified");
    const m = await waitAbout("storm-1", (x) => x.text.includes("RESOLVED"), "resolved edit");
    assert.equal(m.buttons.length, 0, "nothing left to decide");
    assert.equal((await about("storm-1")).length, 1);
  });

  it("sends nothing for an alert that fired and resolved in one webhook batch", async () => {
    const before = (await botMessages(admin, ADMIN)).length;
    const fired = webhook("flap-1");
    const both = {
      ...fired,
      alerts: [...fired.alerts, ...webhook("flap-1", { status: "resolved" }).alerts],
    };
    const res = await call(`${t.url}/webhooks/alertmanager`, { token: INGEST_TOKEN, body: both });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // A later alert is the barrier: once its message is in, the outbox has passed the batch.
    await ingest(webhook("after-flap-1"));
    await waitAbout("after-flap-1", () => true, "the alert after the batch");
    assert.equal((await about("flap-1")).length, 0, "no message about the ended alert");
    assert.equal((await botMessages(admin, ADMIN)).length, before + 1);
    const rows = await t.app.database.db.select().from(alerts);
    const flap = rows.filter((a) => a.labels.instance === "flap-1");
    assert.deepEqual(
      flap.map((a) => a.status),
      ["resolved"],
      "the alert itself is recorded, resolved",
    );
  });

  it("mutes from the Mute 1 h button: later matching alerts stay silent", async () => {
    await ingest(webhook("mute-1"));
    const m = await waitAbout("mute-1", () => true, "the alert to mute");
    await press(admin, m, "Mute 1 h");
    await waitAbout("mute-1", (x) => x.text.includes("Muted until"), "the muted edit");
    assert.equal(await ingest(webhook("mute-1")), "muted");
    assert.equal(await ingest(webhook("mute-1")), "muted");
    assert.equal(await ingest(webhook("mute-2")), "notified", "other instances still notify");
    await waitAbout("mute-2", () => true, "the unmuted instance's message");
    const muted = await about("mute-1");
    assert.equal(muted.length, 1, "no new message");
    assert.ok(!muted[0]?.text.includes("×"), "muted repeats are not counted on it");
  });

  it("lets an admin acknowledge and then resolve by buttons", async () => {
    await ingest(webhook("ack-1", { severity: "critical" }));
    const m = await waitAbout("ack-1", () => true, "the critical alert");
    await press(admin, m, "Acknowledge");
    const acked = await waitAbout("ack-1", (x) => x.text.includes("Acknowledged by Ada"), "ack");
    assert.match(acked.text, /Incident #\d+: acknowledged/);
    await press(admin, acked, "Resolve");
    const done = await waitAbout("ack-1", (x) => x.text.includes("RESOLVED"), "resolve");
    assert.match(done.text, /Resolved: \d\d:\d\d \(just now\) by Ada · fired \d/);
    assert.match(done.text, /Incident #\d+: resolved/);
  });

  it("refuses a stranger's button press and changes nothing", async () => {
    await ingest(webhook("str-1", { severity: "critical" }));
    const m = await waitAbout("str-1", () => true, "the alert");
    await press(stranger, m, "Resolve");
    await press(stranger, m, "Mute 24 h");
    await new Promise((r) => setTimeout(r, 400));
    const [row] = await t.app.database.db.select().from(alerts).where(eq(alerts.status, "firing"));
    assert.ok(row, "still firing");
    assert.equal((await about("str-1"))[0]?.text, m.text, "message untouched");
    assert.equal(t.app.mutes.activeCount(new Date()), 1, "only the admin's mute exists");
  });

  it("lists mutes with /mutes and lifts one with its Unmute button", async () => {
    await say("/mutes");
    const list = await reply((m) => m.text.includes("Active mutes (1)"), "the /mutes list");
    assert.match(list.text, /instance=mute-1/);
    await press(admin, list, "Unmute 1");
    await reply(
      (m) => m.messageId === list.messageId && m.text.includes("No active mutes"),
      "lifted",
    );
    await waitAbout("mute-1", (x) => x.buttons.some((b) => b.text.includes("Mute 1 h")), "redraw");
    assert.equal(await ingest(webhook("mute-1")), "deduplicated", "not muted any more");
  });

  it("pages /incidents with ◀ ▶ in place and acts from the list", async () => {
    for (let i = 1; i <= 5; i++) await ingest(webhook(`page-${i}`, { severity: "critical" }));
    await say("/incidents");
    const first = await reply((m) => /Incidents \(\d+; page 1\/2\)/.test(m.text), "page 1");
    await press(admin, first, "▶");
    const second = await reply(
      (m) => m.messageId === first.messageId && m.text.includes("page 2/2"),
      "page 2 in the same message",
    );
    const ack = second.buttons.find((b) => b.text.startsWith("✋"));
    assert.ok(ack, "an open incident on page 2 has its buttons");
    await press(admin, second, ack.text);
    await reply(
      (m) =>
        m.messageId === first.messageId && m.text.includes("page 2/2") && m.text.includes("👤 Ada"),
      "page 2 redrawn after the acknowledgement",
    );
  });

  it("creates a mute step by step with /mute, and handles /cancel and the one-line form", async () => {
    await say("/mute");
    await reply((m) => m.text.includes("New mute"), "first question");
    await say('alertname=Conv instance=~"c.*"');
    await reply((m) => m.text.includes("For how long"), "duration question");
    await say("soon");
    await reply((m) => m.text.includes("not a duration"), "the retry hint");
    await say("2h");
    await reply((m) => m.text.includes("Why?"), "reason question");
    await say("load test");
    const confirmation = await reply(
      (m) => m.text.startsWith('🔕 Muted alertname=Conv instance=~"c.*"\nfor 2h 00m, until'),
      "confirmation",
    );
    assert.match(confirmation.text, /Matches 0 firing alerts now\.\nload test$/);
    assert.ok(confirmation.buttons.some((b) => b.text === "🔔 Unmute"));
    assert.equal(await ingest(webhook("c-9", { name: "Conv" })), "muted");

    await say("/mute");
    await reply((m) => (m.text.match(/New mute/g) ?? []).length > 0, "asked again");
    await say("/cancel");
    await reply((m) => m.text.includes("Cancelled; nothing was muted."), "cancelled");

    await say('/mute alertname=OneLine instance=~"x.*" 30m quick one');
    await reply(
      (m) =>
        m.text.startsWith('🔕 Muted alertname=OneLine instance=~"x.*"\nfor 30m 00s') &&
        m.text.endsWith("quick one"),
      "1-line",
    );
    assert.equal(await ingest(webhook("x-1", { name: "OneLine" })), "muted");
    const active = await t.app.mutes.listActive();
    assert.deepEqual(active.map((a) => a.reason).sort(), ["load test", "quick one"]);
  });
});

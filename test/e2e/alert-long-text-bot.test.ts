import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, INGEST_TOKEN } from "../helpers/app.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import { type TelegramClient, waitForBotMessage } from "../helpers/telegram.ts";
import { parseTelegramHtml } from "../helpers/telegram-html.ts";

const ADMIN = 1001;

/** One Alertmanager alert whose summary and description are 6,000 characters each. */
function longWebhook(labels: Record<string, string> = {}) {
  return {
    version: "4",
    status: "firing",
    receiver: "commandpost",
    groupLabels: { alertname: "LogFlood" },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://alertmanager.example:9093",
    alerts: [
      {
        status: "firing",
        labels: { alertname: "LogFlood", severity: "critical", instance: "web-7:443", ...labels },
        annotations: {
          summary: `Stack trace <${"frame ".repeat(1000)}>`,
          description: "d".repeat(6000),
        },
        startsAt: new Date(Date.now() - 240_000).toISOString(),
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus.example:9090/graph",
      },
    ],
  };
}

describe("a 6,000-character alert in the chat (telegram-test-api emulator, strict Bot API layer)", () => {
  let bot: BotTestApp;
  let admin: TelegramClient;

  before(async () => {
    bot = await startBotTestApp({ adminIds: [ADMIN] });
    admin = bot.user(ADMIN, "Ada", "ada");
  });
  after(async () => {
    await bot.stop();
  });

  it("cuts the summary and description, keeping instance, times, incident and buttons", async () => {
    const res = await call(`${bot.t.url}/webhooks/alertmanager`, {
      token: INGEST_TOKEN,
      body: longWebhook(),
    });
    assert.equal(res.status, 200);
    const m = await waitForBotMessage(admin, ADMIN, (x) => x.text.includes("LogFlood"), "alert");
    // The strict layer refused nothing: the text is within 4,096 characters after parsing.
    assert.deepEqual(bot.emulator.strict.refusals, []);
    assert.ok(parseTelegramHtml(m.html).length <= 4096);
    assert.match(m.text, /^🔴 CRITICAL · LogFlood · web-7:443\n/);
    assert.match(m.text, /Stack trace <frame frame .*…\n/);
    assert.match(m.text, /\nd+…\n/);
    assert.match(m.text, /Started: \d\d:\d\d \(4m ago\)/);
    assert.match(m.text, /Incident #\d+: open/);
    assert.match(m.text, /Times in Asia\/Taipei/);
    assert.deepEqual(
      m.buttons.map((b) => b.text),
      ["✋ Acknowledge", "✅ Resolve", "🔕 Mute 1 h", "🔕 Mute 24 h", "🧠 Triage"],
    );
  });

  it("cuts a 6,000-character instance on line 1 and keeps the rest", async () => {
    const res = await call(`${bot.t.url}/webhooks/alertmanager`, {
      token: INGEST_TOKEN,
      body: longWebhook({ alertname: "HugeInstance", instance: "w".repeat(6000) }),
    });
    assert.equal(res.status, 200);
    const m = await waitForBotMessage(
      admin,
      ADMIN,
      (x) => x.text.includes("HugeInstance"),
      "alert with a huge instance",
    );
    assert.deepEqual(bot.emulator.strict.refusals, []);
    assert.ok(parseTelegramHtml(m.html).length <= 4096);
    assert.match(m.text, /^🔴 CRITICAL · HugeInstance · w{255}…\n/);
    assert.match(m.text, /Started: \d\d:\d\d \(4m ago\)/);
    assert.match(m.text, /Incident #\d+: open/);
    assert.equal(m.buttons.length, 5);
  });
});

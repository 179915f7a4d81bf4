import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, INGEST_TOKEN, type TestApp } from "../helpers/app.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import { fixture } from "../helpers/fixtures.ts";
import {
  botMessages,
  pressButton,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";

const ADMIN = 1001;
const STRANGER = 6666;

describe("bot and alert path end to end (telegram-test-api emulator)", () => {
  let bot: BotTestApp;
  let t: TestApp;
  let admin: TelegramClient;
  let stranger: TelegramClient;

  before(async () => {
    bot = await startBotTestApp({ adminIds: [ADMIN] });
    t = bot.t;
    admin = bot.user(ADMIN, "Ada", "ada");
    stranger = bot.user(STRANGER, "Eve", "eve");
  });
  after(async () => {
    await bot.stop();
  });

  it("answers /status from the admin with one screen", async () => {
    await admin.sendCommand(admin.makeCommand("/status"));
    const reply = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes("commandpost status"),
      "/status reply",
    );
    assert.match(reply.text, /No open incidents/);
    assert.match(reply.text, /Deliveries: 0 queued/);
    assert.match(reply.text, /primary: none/);
    assert.match(reply.text, /Uptime/);
  });

  it("lists the commands on /help", async () => {
    await admin.sendCommand(admin.makeCommand("/help"));
    const reply = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes("Commands"),
      "/help reply",
    );
    assert.match(reply.text, /\/status/);
    assert.match(reply.text, /\/help/);
    assert.match(reply.text, /\/cancel — stop the question in progress/);
    for (const button of ["Acknowledge", "Approve", "Yes, run it", "Refresh", "Clear cooldown"])
      assert.ok(reply.text.includes(button), `/help explains ${button}`);
    assert.ok(reply.html.length <= 4096);
  });

  it("delivers an alert with an Acknowledge button; pressing it edits the message in place", async () => {
    const res = await call(`${t.url}/webhooks/alertmanager`, {
      token: INGEST_TOKEN,
      body: fixture("alertmanager-firing.json"),
    });
    assert.equal(res.status, 200);
    // The fixture's two alerts are one Alertmanager group: one group message, whose member
    // buttons show each alert's own message.
    const group = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes("momo-app:80"),
      "the group message",
    );
    assert.match(group.text, /^🔴 2 critical · HighErrorRate\n/);
    await pressButton(admin, group, "HighErrorRate momo-app:80");
    const alert = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.startsWith("🔴 CRITICAL · HighErrorRate · momo-app:80"),
      "the alert's own message",
    );
    // The fixture's startsAt (00:33:28Z) in Asia/Taipei, days before the test's real clock.
    assert.match(alert.text, /Started: 23 Nov( 2026)? 08:33 \(\d+d ago\)/);
    const button = alert.buttons.find((b) => b.text.includes("Acknowledge"));
    assert.ok(button, "Acknowledge button present");

    await admin.sendCallback(
      admin.makeCallbackQuery(button.callback_data, {
        message: { message_id: alert.messageId, chat: { id: ADMIN } },
      }),
    );
    const edited = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.messageId === alert.messageId && m.text.includes("Acknowledged by"),
      "the acknowledged edit",
    );
    assert.match(edited.text, /Acknowledged by Ada at \d\d:\d\d \(just now\)/);
    assert.ok(!edited.text.includes("1001"), "the user id stays in the audit");
    assert.ok(
      !edited.buttons.some((b) => b.text.includes("Acknowledge")),
      "no Acknowledge button left to press",
    );
    await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.messageId === group.messageId && m.text.includes("momo-app:80 · acknowledged"),
      "the group message's edit",
    );
    const status = await t.app.status.snapshot();
    assert.equal(status.incidents.acknowledged, 1);
    assert.equal(status.incidents.open, 1);
  });

  it("refuses a stranger once, and never lets a stranger acknowledge", async () => {
    await stranger.sendCommand(stranger.makeCommand("/status"));
    await stranger.sendCommand(stranger.makeCommand("/help"));
    const refusal = await waitForBotMessage(
      stranger,
      STRANGER,
      (m) => m.text.includes("only answers its commanders"),
      "refusal",
    );
    assert.ok(refusal);
    const inStrangerChat = await botMessages(stranger, STRANGER);
    assert.equal(inStrangerChat.length, 1, "one refusal, not one per attempt");
    assert.ok(!inStrangerChat.some((m) => m.text.includes("commandpost status")));

    const other = (await botMessages(admin, ADMIN)).find((m) => m.text.includes("momo-app:81"));
    const button = other?.buttons.find((b) => b.text.includes("Acknowledge"));
    assert.ok(other && button);
    await stranger.sendCallback(
      stranger.makeCallbackQuery(button.callback_data, {
        message: { message_id: other.messageId, chat: { id: ADMIN } },
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const after = (await botMessages(admin, ADMIN)).find((m) => m.messageId === other.messageId);
    assert.ok(!after?.text.includes("Acknowledged"), "a stranger's press changes nothing");
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import {
  type BotMessage,
  pressButton,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";

const ADMIN = 3404;

describe("🔔 Unmute under a /mute reply edits that reply (telegram-test-api emulator)", () => {
  let bot: BotTestApp;
  let admin: TelegramClient;
  const say = (text: string) => admin.sendCommand(admin.makeCommand(text));
  const reply = (match: (m: BotMessage) => boolean, what: string) =>
    waitForBotMessage(admin, ADMIN, match, what);

  before(async () => {
    bot = await startBotTestApp({ adminIds: [ADMIN] });
    admin = bot.user(ADMIN, "Ada", "ada");
  });
  after(async () => {
    await bot?.stop();
  });

  it("lifts the mute and rewrites the reply: who, when, matchers, no buttons", async () => {
    await say('/mute alertname=DiskFull instance=~"db.*" 2h resize');
    const muted = await reply((m) => m.text.startsWith("🔕 Muted alertname=DiskFull"), "reply");
    assert.deepEqual(
      muted.buttons.map((b) => b.text),
      ["🔔 Unmute"],
    );
    assert.equal((await bot.t.app.mutes.listActive()).length, 1);

    await pressButton(admin, muted, "🔔 Unmute", true);
    const edited = await reply(
      (m) => m.messageId === muted.messageId && m.text.startsWith("🔔 Unmuted"),
      "the reply edited in place",
    );
    assert.match(
      edited.text,
      /^🔔 Unmuted by Ada at \d\d:\d\d \([^)]+\) — alertname=DiskFull instance=~"db\.\*"\nresize$/,
    );
    assert.deepEqual(edited.buttons, [], "no buttons left on the reply");
    assert.deepEqual(await bot.t.app.mutes.listActive(), []);
  });

  it("a mute already lifted from /mutes: the reply still says who lifted it", async () => {
    await say("/mute alertname=CpuHot 30m");
    const muted = await reply((m) => m.text.startsWith("🔕 Muted alertname=CpuHot"), "reply");
    await say("/mutes");
    const list = await reply(
      (m) => m.text.includes("CpuHot") && m.buttons.some((b) => b.text === "🔔 Unmute 1"),
      "/mutes",
    );
    await pressButton(admin, list, "🔔 Unmute 1", true);
    await reply(
      (m) => m.messageId === list.messageId && !m.text.includes("CpuHot"),
      "/mutes redrawn without it",
    );

    await pressButton(admin, muted, "🔔 Unmute", true);
    const edited = await reply(
      (m) => m.messageId === muted.messageId && m.text.startsWith("🔔 Unmuted"),
      "the reply edited in place",
    );
    assert.match(edited.text, /^🔔 Unmuted by Ada at \d\d:\d\d \([^)]+\) — alertname=CpuHot$/);
    assert.deepEqual(edited.buttons, []);
  });
});

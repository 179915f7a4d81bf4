import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openDatabase } from "../../db/client.ts";
import { deriveWebhookSecret } from "../../src/config-secrets.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import { capturingLogger } from "../helpers/logger.ts";
import {
  BOT_TOKEN,
  botMessages,
  startEmulator,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";
import { registeredSecret } from "../helpers/webhook-relay.ts";

const ADMIN = 3003;
const SECRET_HEADER = "x-telegram-bot-api-secret-token";

/** An update as Telegram would post it: `/mute …` from the admin. */
function forgedMute(updateId: number) {
  const text = "/mute alertname=Forged 1h forged";
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: ADMIN, type: "private", first_name: "Ada" },
      from: { id: ADMIN, is_bot: false, first_name: "Ada" },
      text,
      entities: [{ type: "bot_command", offset: 0, length: 5 }],
    },
  };
}

/** Makes /status fail inside its handler until the returned function is called. */
function breakStatus(t: TestApp): () => void {
  const original = t.app.status.snapshot;
  t.app.status.snapshot = async () => {
    throw new Error("status exploded (test fault)");
  };
  return () => {
    t.app.status.snapshot = original;
  };
}

describe("webhook mode: secret required, one error boundary", () => {
  let bot: BotTestApp;
  let admin: TelegramClient;
  const log = capturingLogger();

  before(async () => {
    bot = await startBotTestApp({ adminIds: [ADMIN], options: { logger: log.logger } });
    admin = bot.user(ADMIN, "Ada", "ada");
  });
  after(() => bot.stop());

  it("derives the secret from the bot token when none is set and registers it with setWebhook", () => {
    const secret = deriveWebhookSecret(BOT_TOKEN);
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(bot.t.app.config.telegram.webhookSecret, secret);
    assert.equal(registeredSecret(bot.emulator.server, BOT_TOKEN), secret);
  });

  it("answers 401 to an update without the right secret and changes nothing", async () => {
    const url = `${bot.t.url}/telegram/webhook`;
    const post = (headers: Record<string, string>, id: number) =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(forgedMute(id)),
      });
    assert.equal((await post({}, 900_001)).status, 401);
    assert.equal((await post({ [SECRET_HEADER]: "x".repeat(43) }, 900_002)).status, 401);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await bot.t.app.mutes.listActive()).length, 0, "no mute was created");
    assert.equal((await botMessages(admin, ADMIN)).length, 0, "the bot said nothing");
    const refusals = log.entries().filter((e) => e.msg === "authentication failed");
    assert.deepEqual(
      refusals.map((e) => [e.scope, e.reason]),
      [
        ["telegram_webhook", "missing"],
        ["telegram_webhook", "wrong"],
      ],
    );
    // The same update with the registered secret is acted on: the refusal was the secret.
    const secret = registeredSecret(bot.emulator.server, BOT_TOKEN) ?? "";
    assert.equal((await post({ [SECRET_HEADER]: secret }, 900_003)).status, 200);
    assert.equal((await bot.t.app.mutes.listActive()).length, 1);
  });

  it("a failing handler: logged with the update id, the user gets an apology, Telegram gets 200", async () => {
    const restore = breakStatus(bot.t);
    try {
      const before = bot.relay.statuses.length;
      await admin.sendCommand(admin.makeCommand("/status"));
      await waitForBotMessage(
        admin,
        ADMIN,
        (m) => /^Sorry, something went wrong/.test(m.text),
        "apology",
      );
      // The apology can reach the chat before the webhook's answer reaches the relay.
      await bot.relay.settle();
      assert.deepEqual(bot.relay.statuses.slice(before), [200], "Telegram's call answered 200");
      const failed = log.entries().find((e) => e.msg === "bot handler failed");
      assert.ok(failed, "the failure is logged");
      assert.equal(typeof failed.update_id, "number");
      assert.match(JSON.stringify(failed.err), /status exploded/);
    } finally {
      restore();
    }
    await admin.sendCommand(admin.makeCommand("/status"));
    await waitForBotMessage(admin, ADMIN, (m) => m.text.includes("commandpost status"), "status");
  });
});

describe("polling mode: the same error boundary", () => {
  let t: TestApp;
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  const log = capturingLogger();

  before(async () => {
    emulator = await startEmulator();
    t = await startTestApp(
      await openDatabase({}),
      {
        TELEGRAM_BOT_TOKEN: BOT_TOKEN,
        TELEGRAM_API_ROOT: emulator.apiRoot,
        TELEGRAM_ADMIN_IDS: String(ADMIN),
      },
      { logger: log.logger },
    );
  });
  after(async () => {
    await t.stop();
    await emulator.stop();
  });

  it("a failing handler: logged with the update id, one apology, and the bot keeps polling", async () => {
    const admin = emulator.server.getClient(BOT_TOKEN, { userId: ADMIN, chatId: ADMIN });
    const restore = breakStatus(t);
    try {
      await admin.sendCommand(admin.makeCommand("/status"));
      await waitForBotMessage(
        admin,
        ADMIN,
        (m) => /^Sorry, something went wrong/.test(m.text),
        "apology",
      );
    } finally {
      restore();
    }
    const failed = log.entries().find((e) => e.msg === "bot handler failed");
    assert.equal(typeof failed?.update_id, "number");
    await admin.sendCommand(admin.makeCommand("/status"));
    await waitForBotMessage(admin, ADMIN, (m) => m.text.includes("commandpost status"), "status");
    const apologies = (await botMessages(admin, ADMIN)).filter((m) => /^Sorry/.test(m.text));
    assert.equal(apologies.length, 1, "the failed update was not handled again");
  });
});

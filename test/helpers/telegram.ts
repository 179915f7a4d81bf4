import assert from "node:assert/strict";
import { createServer } from "node:net";
import { TelegramServer } from "telegram-test-api/lib/telegramServer.js";
import { type StrictBotApi, startStrictBotApi } from "./strict-bot-api.ts";

/** A bot message as the emulator stores it (edits merged in). */
export interface BotMessage {
  messageId: number;
  chatId: number;
  /** Text with HTML tags removed and entities decoded, as the user reads it. */
  text: string;
  /** Text as the bot sent it (HTML parse mode). */
  html: string;
  buttons: { text: string; callback_data: string }[];
}

/** The emulator's client type (a simulated Telegram user). */
export type TelegramClient = ReturnType<TelegramServer["getClient"]>;

/** Bot token used with the emulator (`<id>:<secret>` as Telegram's). */
export const BOT_TOKEN = "123456:TEST-token_abc";

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

/**
 * Starts the telegram-test-api emulator behind the strict Bot API layer
 * (./strict-bot-api.ts), which refuses what real Telegram refuses. `apiRoot` is the layer's,
 * listening on `port` (default: a free port). `stop()` closes both and fails the suite when
 * the layer refused any call (listing them), so every e2e test also proves Telegram would
 * have accepted each call the app made; `allowRefusals` skips that check for a test that
 * provokes refusals on purpose. `allowRateLimited` tolerates 429s only: several replicas
 * each pace their own sends, so together they can exceed a chat's rate, and Telegram's 429
 * (retried by the outbox, in order) is the expected answer.
 */
export async function startEmulator(
  port?: number,
  opts: { allowRefusals?: boolean; allowRateLimited?: boolean } = {},
): Promise<{
  server: TelegramServer;
  apiRoot: string;
  strict: StrictBotApi;
  stop(): Promise<void>;
}> {
  const server = new TelegramServer({
    port: await freePort(),
    host: "127.0.0.1",
    storeTimeout: 600,
  });
  uniqueIds(server);
  await server.start();
  const strict = await startStrictBotApi({ target: server.config.apiURL, port });
  return {
    server,
    apiRoot: strict.apiRoot,
    strict,
    stop: async () => {
      await strict.close();
      await server.stop();
      const label =
        process.argv
          .find((a) => a.endsWith(".test.ts"))
          ?.split("/")
          .pop() ?? "suite";
      console.log(
        `strict Bot API layer (${label}): ${strict.forwarded} calls passed, ${strict.refusals.length} refused, ${strict.notModified} not-modified edits, ${strict.failures.length} not passed on`,
      );
      const refused = opts.allowRateLimited
        ? strict.refusals.filter((r) => r.errorCode !== 429)
        : strict.refusals;
      if (!opts.allowRefusals)
        assert.deepEqual(refused, [], "the strict Bot API layer refused calls");
    },
  };
}

/**
 * Makes the emulator's ids unique under concurrency. telegram-test-api takes the update,
 * message and callback query ids of a user update before awaiting its webhook delivery and
 * advances them only after it, so two updates sent while a handler still runs share
 * `update_id` and callback query id (Telegram never reuses either). The patch takes each id
 * and advances the counter at once; the emulator's later increments only skip numbers.
 */
function uniqueIds(server: TelegramServer): void {
  const s = server as unknown as {
    updateId: number;
    messageId: number;
    callbackId: number;
    getCommonFields(botToken: string): Record<string, unknown>;
    addUserUpdate(update: Record<string, unknown>): Promise<void>;
    addUserCallback(cq: { botToken: string }): Promise<void>;
    emit(event: string): boolean;
  };
  s.getCommonFields = (botToken) => ({
    time: Date.now(),
    botToken,
    updateId: s.updateId++,
    messageId: s.messageId++,
    isRead: false,
  });
  s.addUserCallback = async (callbackQuery) => {
    const callbackId = s.callbackId++;
    await s.addUserUpdate({
      ...s.getCommonFields(callbackQuery.botToken),
      callbackQuery,
      callbackId,
    });
    s.emit("AddedUserCallbackQuery");
  };
}

/** Bot messages in a chat, read through getUpdatesHistory (marks nothing read). */
export async function botMessages(client: TelegramClient, chatId: number): Promise<BotMessage[]> {
  const history = (await client.getUpdatesHistory()) as unknown as {
    messageId: number;
    message: {
      chat_id?: number | string;
      text?: string;
      reply_markup?: { inline_keyboard?: { text: string; callback_data: string }[][] };
    };
  }[];
  return history
    .filter((u) => u.message && "chat_id" in u.message && Number(u.message.chat_id) === chatId)
    .map((u) => ({
      messageId: u.messageId,
      chatId: Number(u.message.chat_id),
      text: plain(u.message.text ?? ""),
      html: u.message.text ?? "",
      buttons: (u.message.reply_markup?.inline_keyboard ?? []).flat(),
    }));
}

/** Waits until a bot message in `chatId` satisfies `match`; returns it. */
export async function waitForBotMessage(
  client: TelegramClient,
  chatId: number,
  match: (m: BotMessage) => boolean,
  what: string,
  timeoutMs = 8000,
): Promise<BotMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await botMessages(client, chatId)).find(match);
    if (found) return found;
    if (Date.now() > deadline) {
      const seen = (await botMessages(client, chatId)).map((m) => m.text.slice(0, 80));
      throw new Error(`timed out waiting for ${what}; chat holds: ${JSON.stringify(seen)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Presses the button of bot message `m` whose text includes `label` (equals it with
 * `exact`), as `client`, from the message's chat; fails naming the buttons `m` has.
 * Shared press helper of the bot e2e tests, added by the heartbeats review for agents-bot and
 * used by sessions-bot (exact labels); backends-bot (a RegExp) still carries a local copy.
 */
export function pressButton(
  client: TelegramClient,
  m: BotMessage,
  label: string,
  exact = false,
): ReturnType<TelegramClient["sendCallback"]> {
  const button = m.buttons.find((b) => (exact ? b.text === label : b.text.includes(label)));
  assert.ok(button, `button "${label}" on the message (has ${m.buttons.map((b) => b.text)})`);
  return client.sendCallback(
    client.makeCallbackQuery(button.callback_data, {
      message: { message_id: m.messageId, chat: { id: m.chatId } },
    }),
  );
}

/** Strips tags and decodes the three entities our HTML uses. */
export function plain(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

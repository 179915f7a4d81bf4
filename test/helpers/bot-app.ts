import type { Database } from "../../db/client.ts";
import { openDatabase } from "../../db/client.ts";
import type { AppOptions } from "../../src/app.ts";
import { startTestApp, type TestApp } from "./app.ts";
import { BOT_TOKEN, freePort, startEmulator, type TelegramClient } from "./telegram.ts";
import { registeredSecret, startWebhookRelay, type WebhookRelay } from "./webhook-relay.ts";

/** The real app with its bot in webhook mode against a fresh telegram-test-api emulator. */
export interface BotTestApp {
  t: TestApp;
  emulator: Awaited<ReturnType<typeof startEmulator>>;
  /** Carries the emulator's webhook calls to the app with the registered secret. */
  relay: WebhookRelay;
  /** A simulated user in a private chat whose id is the user's id. */
  user(id: number, firstName: string, userName?: string): TelegramClient;
  /** Waits for the updates in flight to be answered, stops the app, then the emulator. */
  stop(): Promise<void>;
}

/**
 * Starts the emulator and the app in webhook mode (so the bot does not spin polling against
 * the emulator), with a relay that adds the secret the bot registered, as Telegram does.
 * `adminIds` become TELEGRAM_ADMIN_IDS; `env` and `options` pass through to
 * {@link startTestApp}; the database defaults to in-memory PGlite.
 */
export async function startBotTestApp(opts: {
  adminIds: readonly number[];
  env?: Record<string, string>;
  options?: Partial<AppOptions>;
  database?: Database;
}): Promise<BotTestApp> {
  const emulator = await startEmulator();
  // The emulator posts each user update to the webhook without awaiting it, so a post cut by
  // the teardown would reject unhandled in the test process. Once stopping, such a failure is
  // expected and dropped; before, it still surfaces (a delivery failing mid-test).
  let stopping = false;
  // (addUserUpdate is private in the emulator's types; every user update goes through it.)
  const server = emulator.server as unknown as { addUserUpdate(u: unknown): Promise<void> };
  const addUserUpdate = server.addUserUpdate.bind(server);
  server.addUserUpdate = async (update: unknown) => {
    try {
      await addUserUpdate(update);
    } catch (err) {
      if (!stopping) throw err;
    }
  };
  const port = await freePort();
  const relay = await startWebhookRelay({
    target: `http://127.0.0.1:${port}/telegram/webhook`,
    secret: () => registeredSecret(emulator.server, BOT_TOKEN),
  });
  const t = await startTestApp(
    opts.database ?? (await openDatabase({})),
    {
      PORT: String(port),
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_API_ROOT: emulator.apiRoot,
      TELEGRAM_ADMIN_IDS: opts.adminIds.join(","),
      TELEGRAM_WEBHOOK_URL: relay.url,
      ...opts.env,
    },
    opts.options,
  );
  return {
    t,
    emulator,
    relay,
    user: (id, firstName, userName) =>
      emulator.server.getClient(BOT_TOKEN, {
        userId: id,
        chatId: id,
        firstName,
        userName: userName ?? firstName.toLowerCase(),
      }),
    stop: async () => {
      try {
        await relay.settle();
        stopping = true;
        await t.stop();
      } finally {
        await relay.stop();
        await emulator.stop();
      }
    },
  };
}

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openDatabase } from "../../db/client.ts";
import { deliveries } from "../../db/schema/index.ts";
import { type App, createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { ADMIN_TOKEN, call, ENCRYPTION_KEY, INGEST_TOKEN } from "../helpers/app.ts";
import { testLogger } from "../helpers/logger.ts";
import { waitFor } from "../helpers/sender.ts";
import { BOT_TOKEN, botMessages, freePort, startEmulator } from "../helpers/telegram.ts";

const CHAT = 3003;

function webhook(instance: string) {
  return {
    version: "4",
    status: "firing",
    alerts: [
      {
        status: "firing",
        labels: { alertname: "OutageProbe", instance, severity: "warning" },
        annotations: { summary: `queued while Telegram was away (${instance})` },
        startsAt: "2026-11-23T00:33:28Z",
      },
    ],
  };
}

describe("Bot API unreachable for a while, then back", () => {
  let app: App | undefined;
  let started: Promise<unknown> | undefined;
  let emulator: Awaited<ReturnType<typeof startEmulator>> | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), "cp-outage-"));
  after(async () => {
    await started;
    await app?.stop();
    await emulator?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("sends every delivery queued during the outage exactly once when it returns", async () => {
    const telegramPort = await freePort(); // nothing listens here yet
    const port = await freePort();
    const config = loadConfig({
      PORT: String(port),
      DATA_DIR: dataDir,
      ADMIN_TOKEN,
      INGEST_TOKEN,
      ENCRYPTION_KEY,
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_API_ROOT: `http://127.0.0.1:${telegramPort}`,
      TELEGRAM_ADMIN_IDS: String(CHAT),
      TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`,
      OUTBOX_MAX_ATTEMPTS: "2",
    });
    const a = await createApp(config, { logger: testLogger, database: await openDatabase({}) });
    app = a;
    // start() listens and starts the outbox worker, then waits for the bot's getMe, which
    // grammY retries until Telegram answers: so it is not awaited here.
    started = a.start();
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok, 5000, "up");
    for (const i of [1, 2, 3]) {
      const res = await call(`${url}/webhooks/alertmanager`, {
        token: INGEST_TOKEN,
        body: webhook(`down-${i}`),
      });
      assert.equal(res.status, 200, "ingest does not depend on Telegram");
    }
    await waitFor(
      async () =>
        (await a.database.db.select().from(deliveries)).some((d) =>
          /network/.test(d.lastError ?? ""),
        ),
      5000,
      "a failed attempt against the missing Bot API",
    );
    await new Promise((r) => setTimeout(r, 1500)); // the outage goes on past OUTBOX_MAX_ATTEMPTS

    emulator = await startEmulator(telegramPort);
    const client = emulator.server.getClient(BOT_TOKEN, { userId: CHAT, chatId: CHAT });
    await waitFor(async () => (await botMessages(client, CHAT)).length >= 3, 15_000, "3 messages");
    await new Promise((r) => setTimeout(r, 1500));
    const texts = (await botMessages(client, CHAT)).map((m) => m.text);
    for (const i of [1, 2, 3]) {
      assert.equal(texts.filter((x) => x.includes(`down-${i}`)).length, 1, `down-${i} once`);
    }
    assert.equal(texts.length, 3);
    const rows = await a.database.db.select().from(deliveries);
    assert.deepEqual(
      rows.map((r) => [r.status, r.attempts]),
      rows.map(() => ["sent", 0]),
      "an outage uses no attempts, so nothing went dead",
    );
  });
});

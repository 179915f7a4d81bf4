import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { call, ENCRYPTION_KEY, INGEST_TOKEN } from "../helpers/app.ts";
import { startBlackHole } from "../helpers/black-hole.ts";
import { freshPostgres } from "../helpers/db.ts";
import { waitFor } from "../helpers/sender.ts";
import { BOT_TOKEN, botMessages, freePort, startEmulator } from "../helpers/telegram.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const CHAT = 4004;

function startMain(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

async function waitHealthy(url: string): Promise<void> {
  await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok, 30_000, url);
}

describe("the process killed between claim and send", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "cp-crash-"));
  const children: ChildProcess[] = [];
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const c of children) c.kill("SIGKILL");
    for (const f of cleanups.reverse()) await f();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("sends the delivery exactly once after a restart on the same database", async () => {
    const pg = await freshPostgres("cp_crash");
    if (pg) cleanups.push(pg.drop);
    const hole = await startBlackHole();
    cleanups.push(hole.close);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      PORT: String(port),
      DATA_DIR: dataDir,
      ...(pg && { DATABASE_URL: pg.url }),
      INGEST_TOKEN,
      ENCRYPTION_KEY,
      LOG_LEVEL: "error",
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_ADMIN_IDS: String(CHAT),
      TELEGRAM_WEBHOOK_URL: `${url}/telegram/webhook`,
      OUTBOX_LEASE_S: "2",
    };

    const first = startMain({ ...env, TELEGRAM_API_ROOT: hole.url });
    children.push(first);
    await waitHealthy(url);
    const res = await call(`${url}/webhooks/alertmanager`, {
      token: INGEST_TOKEN,
      body: {
        version: "4",
        status: "firing",
        alerts: [
          {
            status: "firing",
            labels: { alertname: "CrashProbe", instance: "crash-1", severity: "critical" },
            annotations: { summary: "sent across a crash" },
            startsAt: "2026-11-23T00:33:28Z",
          },
        ],
      },
    });
    assert.equal(res.status, 200);
    await waitFor(() => hole.sends() === 1, 10_000, "the claimed delivery on its way");
    first.kill("SIGKILL");
    await new Promise((r) => first.once("exit", r));

    const emulator = await startEmulator();
    cleanups.push(() => emulator.stop());
    const second = startMain({ ...env, TELEGRAM_API_ROOT: emulator.apiRoot });
    children.push(second);
    await waitHealthy(url);
    const client = emulator.server.getClient(BOT_TOKEN, { userId: CHAT, chatId: CHAT });
    await waitFor(async () => (await botMessages(client, CHAT)).length > 0, 20_000, "resent");
    await new Promise((r) => setTimeout(r, 3000)); // past another lease: still one
    const messages = await botMessages(client, CHAT);
    assert.equal(messages.length, 1, "sent exactly once");
    assert.match(messages[0]?.text ?? "", /CrashProbe/);
    second.kill("SIGTERM");
    await new Promise((r) => second.once("exit", r));
  });
});

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import postgres from "postgres";
import { call, ENCRYPTION_KEY, INGEST_TOKEN } from "../helpers/app.ts";
import { waitFor } from "../helpers/sender.ts";
import { BOT_TOKEN, botMessages, freePort, startEmulator } from "../helpers/telegram.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const CHAT = 4004;

/**
 * A Bot API that answers getMe and setWebhook but swallows sendMessage without ever
 * answering: the process that calls it has claimed the delivery and is mid-send.
 */
async function startBlackHole(): Promise<{ url: string; sends: () => number; close(): void }> {
  let sends = 0;
  const held: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    const method = req.url?.split("/").pop() ?? "";
    if (method === "sendMessage") {
      sends++;
      held.push(req);
      return;
    }
    const result =
      method === "getMe"
        ? { id: 123456, is_bot: true, first_name: "cp", username: "cp_bot" }
        : true;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true, result }));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${port}`,
    sends: () => sends,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** A fresh Postgres database when TEST_DATABASE_URL is set (dropped by `drop`). */
async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return undefined;
  const name = `cp_crash_${randomBytes(5).toString("hex")}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

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
    const pg = await freshPostgres();
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

import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { eq } from "drizzle-orm";
import { openDatabase } from "../../db/client.ts";
import { deliveries } from "../../db/schema/index.ts";
import { ADMIN_TOKEN, call, ENCRYPTION_KEY, INGEST_TOKEN } from "../helpers/app.ts";
import { startBlackHole } from "../helpers/black-hole.ts";
import { freshPostgres } from "../helpers/db.ts";
import { waitFor } from "../helpers/sender.ts";
import { BOT_TOKEN, freePort } from "../helpers/telegram.ts";
import { startTestUpstream, type TestUpstream } from "../helpers/upstream.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const CHAT = 7007;

/** The compiled server, running under plain node. */
interface Served {
  child: ChildProcess;
  url: string;
  port: number;
  dataDir: string;
  exited: Promise<number | null>;
  /** Parsed JSON log lines so far. */
  logs(): { msg: string; [k: string]: unknown }[];
}

/** One SSE response read to its end, with when each part arrived. */
interface StreamRead {
  text: string;
  events: { at: number; data: string }[];
  endedAt: number;
}

describe("the compiled server (node dist/src/main.js)", () => {
  const work = mkdtempSync(join(tmpdir(), "cp-dist-"));
  const dist = join(work, "dist");
  const children: ChildProcess[] = [];
  const cleanups: (() => unknown)[] = [];
  let up: TestUpstream;

  before(async () => {
    // Compiled files resolve packages by walking up: give the build a node_modules.
    symlinkSync(join(ROOT, "node_modules"), join(work, "node_modules"));
    execFileSync(
      process.execPath,
      ["--import", "tsx", "scripts/build.ts", "--no-check", "--out-dir", dist],
      { cwd: ROOT, stdio: "inherit" },
    );
    up = await startTestUpstream();
    up.behave({ kind: "slow_stream", everyMs: 100 });
  });
  after(async () => {
    for (const c of children) c.kill("SIGKILL");
    for (const f of cleanups.reverse()) await f();
    await up.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function serve(env: Record<string, string>): Promise<Served> {
    const port = await freePort();
    const dataDir = mkdtempSync(join(work, "data-"));
    const child = spawn(process.execPath, [join(dist, "src", "main.js")], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        PORT: String(port),
        DATA_DIR: dataDir,
        LOG_LEVEL: "info",
        ...env,
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => null))?.ok, 60_000, url);
    const logs = () =>
      out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { msg: string });
    return { child, url, port, dataDir, exited, logs };
  }

  /** A proxy key and a backend on the slow upstream. */
  async function proxyKey(s: Served): Promise<string> {
    const b = await call(`${s.url}/api/admin/backends`, {
      token: ADMIN_TOKEN,
      body: {
        name: "slow",
        pool: "primary",
        base_url: up.url,
        api_key: "sk-slow-upstream-key-0000",
        models: [{ canonical: "m", native: "native-m" }],
      },
    });
    assert.equal(b.status, 201, JSON.stringify(b.body));
    const a = await call(`${s.url}/api/admin/agents`, {
      token: ADMIN_TOKEN,
      body: { name: "drainer" },
    });
    return a.body.key as string;
  }

  /** Starts a streaming completion of `words` chunks; resolves once its first event came. */
  async function stream(s: Served, key: string, words: number) {
    const t0 = Date.now();
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream: true, max_tokens: words, messages: [] }),
    });
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const read: StreamRead = { text: "", events: [], endedAt: 0 };
    const decoder = new TextDecoder();
    const first = await reader.read();
    read.text += decoder.decode(first.value);
    const done = (async () => {
      for (;;) {
        const r = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (r.done) break;
        const part = decoder.decode(r.value);
        read.text += part;
        read.events.push({ at: Date.now() - t0, data: part.trim() });
      }
      read.endedAt = Date.now();
      return read;
    })();
    return done;
  }

  const refused = (port: number) =>
    new Promise<boolean>((r) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        r(false);
      });
      socket.once("error", (err: NodeJS.ErrnoException) => r(err.code === "ECONNREFUSED"));
    });

  it("serves from the compiled output with plain node on an empty DATA_DIR, and stops on SIGTERM", async () => {
    const s = await serve({});
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
    assert.ok(s.logs().some((l) => l.msg === "commandpost listening"));
    // What the compiled code reads beside itself: package.json and the dashboard's sources.
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, /commandpost_build_info\{version="0\.1\.0"/);
    const app = await fetch(`${s.url}/app/app.js`);
    assert.equal(app.status, 200, "the dashboard bundles from dist/web");
    s.child.kill("SIGTERM");
    assert.equal(await s.exited, 0);
    assert.ok(s.logs().some((l) => l.msg === "stopped"));
  });

  it("drains on SIGTERM: stops accepting, finishes a short stream, cuts a long one at the grace with an error event, releases outbox claims, exits 0", async (t) => {
    const pg = await freshPostgres("cp_drain");
    if (pg) cleanups.push(pg.drop);
    const hole = await startBlackHole();
    cleanups.push(hole.close);
    const s = await serve({
      ...(pg && { DATABASE_URL: pg.url }),
      ADMIN_TOKEN,
      INGEST_TOKEN,
      ENCRYPTION_KEY,
      SHUTDOWN_GRACE_S: "2",
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_API_ROOT: hole.url,
      TELEGRAM_ADMIN_IDS: String(CHAT),
      TELEGRAM_WEBHOOK_URL: "https://bot.example.invalid/telegram/webhook",
    });
    // Three alerts for one chat: the first send hangs in the black hole, two wait their turn.
    for (const n of [1, 2, 3]) {
      const res = await call(`${s.url}/api/events`, {
        token: INGEST_TOKEN,
        body: { source: "drain", type: `DrainProbe${n}`, severity: "warning", title: `probe ${n}` },
      });
      assert.equal(res.status, 202);
    }
    await waitFor(() => hole.sends() === 1, 10_000, "one send in flight");
    const key = await proxyKey(s);
    const short = stream(s, key, 8); // 0.8 s: ends inside the grace
    const long = stream(s, key, 100); // 10 s: still running at the end of the grace
    await new Promise((r) => setTimeout(r, 200));

    const t0 = Date.now();
    s.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await refused(s.port), true, "new connections are refused while draining");
    const [a, b] = await Promise.all([short, long]);
    const code = await s.exited;
    const exitMs = Date.now() - t0;

    t.diagnostic(`SIGTERM at t=0 (SHUTDOWN_GRACE_S=2, ${pg ? "Postgres" : "PGlite"})`);
    t.diagnostic(
      `short stream: ended at ${a.endedAt - t0} ms, last event ${a.events.at(-1)?.data}`,
    );
    const cut = b.events.at(-1)?.data ?? "";
    t.diagnostic(`long stream: ended at ${b.endedAt - t0} ms, last event ${cut}`);
    t.diagnostic(`process exited ${code} at ${exitMs} ms`);
    for (const l of s.logs().filter((x) => /stopping|drain|outbox|stopped/i.test(x.msg)))
      t.diagnostic(`log: ${JSON.stringify({ msg: l.msg, cut: l.cut, forced: l.forced })}`);

    assert.match(a.text, /data: \[DONE\]/, "the short stream finished normally");
    assert.doesNotMatch(a.text, /event: error/);
    assert.ok(a.endedAt - t0 < 2000, "inside the grace");
    assert.doesNotMatch(b.text, /\[DONE\]/);
    assert.match(cut, /^event: error\ndata: .*"type":"server_shutting_down"/);
    assert.ok(b.endedAt - t0 >= 1900, `cut at the grace, not before (${b.endedAt - t0} ms)`);
    assert.equal(code, 0);
    assert.ok(exitMs < 6000, `exited soon after the grace (${exitMs} ms)`);
    const drain = s.logs().find((l) => l.msg.startsWith("HTTP drain"));
    assert.equal(drain?.cut, 1, "one stream cut");

    const db = await openDatabase(pg ? { url: pg.url } : { dataDir: s.dataDir });
    try {
      const rows = await db.db.select().from(deliveries).where(eq(deliveries.chatId, CHAT));
      const pending = rows.filter((r) => r.status === "pending" && r.lockedBy === null);
      const sending = rows.filter((r) => r.status === "sending");
      t.diagnostic(`outbox after exit: ${pending.length} released, ${sending.length} in flight`);
      assert.equal(pending.length, 2, "the claims waiting their turn were released");
      assert.equal(sending.length, 1, "the send in flight keeps its lease");
      assert.equal(rows.filter((r) => r.status === "sent").length, 0);
    } finally {
      await db.close();
    }
  });

  it("exits at once on a second signal", async () => {
    const s = await serve({ ADMIN_TOKEN, ENCRYPTION_KEY, SHUTDOWN_GRACE_S: "30" });
    const key = await proxyKey(s);
    const long = stream(s, key, 300);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    s.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    s.child.kill("SIGTERM");
    const code = await s.exited;
    assert.equal(code, 1);
    assert.ok(Date.now() - t0 < 3000, "did not wait for the 30 s grace");
    assert.ok(s.logs().some((l) => l.msg === "second signal: exiting now"));
    await long;
  });
});

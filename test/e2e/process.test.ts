import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { freshPostgres } from "../helpers/db.ts";
import { freePort } from "../helpers/telegram.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

function startProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function waitHealthy(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("process did not become healthy");
}

describe("the process", () => {
  it("stops with exit code 1 and one line naming an invalid variable", async () => {
    const p = startProcess({ PORT: "not-a-port" });
    assert.equal(await p.exited, 1);
    const lines = p.err().trim().split("\n");
    assert.equal(lines.length, 1, p.err());
    assert.match(lines[0] ?? "", /PORT/);
  });

  it("refuses a 1-character ADMIN_TOKEN with one line naming it", async () => {
    const p = startProcess({ ADMIN_TOKEN: "x" });
    assert.equal(await p.exited, 1);
    const lines = p.err().trim().split("\n");
    assert.equal(lines.length, 1, p.err());
    assert.match(lines[0] ?? "", /^commandpost: invalid configuration: ADMIN_TOKEN: too short/);
  });

  it("starts on an empty DATA_DIR with PGlite, says the bot is off, and stops cleanly on SIGTERM", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "cp-proc-"));
    const port = await freePort();
    const p = startProcess({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "info" });
    try {
      await waitHealthy(`http://127.0.0.1:${port}`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(ready.status, 200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(
        metrics,
        /commandpost_events_total\{source="alertmanager",severity="critical",outcome="notified"\} 0/,
      );
      assert.match(metrics, /process_cpu_user_seconds_total/);
      assert.ok(existsSync(join(dataDir, "pglite.lock")), "data directory locked while running");
      assert.match(p.out(), /bot off/);
      assert.equal(p.out().match(/bot off/g)?.length, 1, "said once");

      const second = startProcess({ PORT: String(await freePort()), DATA_DIR: dataDir });
      assert.equal(await second.exited, 1, "a second process on the same DATA_DIR is refused");
      assert.match(second.err(), /in use by process/);

      p.child.kill("SIGTERM");
      assert.equal(await p.exited, 0);
      assert.match(p.out(), /"msg":"stopped"/);
      assert.ok(!existsSync(join(dataDir, "pglite.lock")), "lock released");
    } finally {
      p.child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("uses Postgres when DATABASE_URL is set", {
    skip: !process.env.TEST_DATABASE_URL,
  }, async (t) => {
    // Its own database: TEST_DATABASE_URL's may hold another branch's migrations.
    const pg = await freshPostgres("cp_proc");
    if (pg) t.after(pg.drop);
    const dataDir = mkdtempSync(join(tmpdir(), "cp-proc-"));
    const port = await freePort();
    const p = startProcess({
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: pg?.url ?? "",
    });
    try {
      await waitHealthy(`http://127.0.0.1:${port}`);
      assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
      assert.match(p.out(), /"database":"postgres"/);
      p.child.kill("SIGINT");
      assert.equal(await p.exited, 0);
    } finally {
      p.child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

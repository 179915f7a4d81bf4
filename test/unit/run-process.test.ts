import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { failureOf, runProcess } from "../../src/heal/run-process.ts";
import { liveInGroup, running } from "../helpers/processes.ts";

const dir = mkdtempSync(join(tmpdir(), "cp-run-"));
const pidFile = (name: string) => join(dir, `${name}.pid`);
const readPid = (name: string) => Number(readFileSync(pidFile(name), "utf8"));

/** A node script in `dir`; returns the argv to run it. */
function script(name: string, body: string): [string, string[]] {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, body);
  return [process.execPath, [file]];
}

describe("runProcess: fixers and commands in their own process group", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("returns the exit code and output of a process that ends by itself", async () => {
    const [file, args] = script("ok", `console.log("out"); console.error("err"); process.exit(3);`);
    const r = await runProcess(file, args, { timeoutMs: 5000 });
    assert.equal(r.code, 3);
    assert.equal(r.stdout.trim(), "out");
    assert.equal(r.stderr.trim(), "err");
    assert.deepEqual([r.timedOut, r.overflow, r.aborted], [false, false, false]);
    assert.equal(failureOf("fixer", r, { timeoutMs: 5000 }), "fixer exited 3");
  });

  it("kills the whole group with SIGKILL when the process and its child ignore SIGTERM", async () => {
    // sh ignores TERM and so does every child it starts (an ignored signal is inherited).
    const r0 = Date.now();
    const r = await runProcess(
      "sh",
      ["-c", `trap "" TERM; echo $$ > ${pidFile("stubborn")}; sleep 300 & sleep 300`],
      { timeoutMs: 300, killGraceMs: 300 },
    );
    const took = Date.now() - r0;
    assert.equal(r.timedOut, true);
    assert.equal(r.code, null, "killed by a signal");
    assert.ok(took < 3000, `ended ${took} ms after start: timeout 300 + grace 300`);
    assert.deepEqual(await liveInGroup(readPid("stubborn")), [], "no process of the group is left");
    assert.match(failureOf("fixer", r, { timeoutMs: 300 }), /fixer timed out after 0.3 s; killed/);
  });

  it("does not hang when the process exits but leaves a child holding stdout", async () => {
    const [file, args] = script(
      "orphan",
      `import { spawn } from "node:child_process";
       import { writeFileSync } from "node:fs";
       const child = spawn("sleep", ["300"], { stdio: ["ignore", "inherit", "inherit"] });
       writeFileSync(${JSON.stringify(pidFile("orphan"))}, String(child.pid));
       console.log("fixed");
       process.exit(0);`,
    );
    const r0 = Date.now();
    const r = await runProcess(file, args, { timeoutMs: 60_000, killGraceMs: 300 });
    const took = Date.now() - r0;
    assert.equal(r.code, 0);
    assert.equal(r.timedOut, false);
    assert.match(r.stdout, /fixed/);
    assert.ok(took < 5000, `ended after ${took} ms, not after the child's 300 s`);
    assert.equal(await running(readPid("orphan")), false, "the child holding stdout was killed");
  });

  it("reports output past maxBuffer as an overflow and kills the group", async () => {
    const r = await runProcess("yes", ["0123456789abcdef"], {
      timeoutMs: 30_000,
      maxBuffer: 256 * 1024,
      killGraceMs: 300,
    });
    assert.equal(r.overflow, true);
    assert.equal(r.timedOut, false);
    assert.equal(r.stdout.length, 256 * 1024, "output cut at maxBuffer");
    assert.equal(
      failureOf("fixer", r, { timeoutMs: 30_000, maxBuffer: 256 * 1024 }),
      "fixer printed more than 0.25 MiB of output (maxBuffer); killed",
    );
  });

  it("kills the group when its abort signal fires (shutdown)", async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 200);
    const r = await runProcess("sh", ["-c", `echo $$ > ${pidFile("aborted")}; sleep 300`], {
      timeoutMs: 60_000,
      killGraceMs: 300,
      signal: stop.signal,
    });
    assert.equal(r.aborted, true);
    assert.deepEqual(await liveInGroup(readPid("aborted")), []);
    assert.match(failureOf("fixer", r, { timeoutMs: 60_000 }), /shutting down/);
  });

  it("names a program that cannot be started", async () => {
    const r = await runProcess(join(dir, "no-such-fixer"), [], { timeoutMs: 1000 });
    assert.equal(r.code, null);
    assert.match(r.stderr, /cannot run .*no-such-fixer: .*ENOENT/);
  });
});

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, beforeEach, describe, it } from "node:test";
import { type CodeFixSettings, executeCodeFix } from "../../src/heal/code-fix-executor.ts";
import { DEFAULT_FILE_ALLOWLIST } from "../../src/heal/heal-config.ts";
import { git } from "../../src/heal/run-process.ts";
import { makeTestRepo, type TestRepo } from "../helpers/heal.ts";
import { running } from "../helpers/processes.ts";

/** A fixer script (node) written beside the repository; `{file}` is its first argument. */
function fixer(repo: TestRepo, name: string, body: string): string[] {
  const file = join(repo.dir, `${name}.mjs`);
  writeFileSync(
    file,
    `import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
     import { spawn } from "node:child_process";
     const file = process.argv[2];
     ${body}`,
  );
  return [process.execPath, file, "{file}"];
}

const EDIT = `appendFileSync(file, "fixed = True\\n");`;

function settings(repo: TestRepo, fixerCmd: string[], more: Partial<CodeFixSettings> = {}) {
  return {
    repoPath: repo.work,
    healthUrl: undefined,
    fileAllowlist: new RegExp(DEFAULT_FILE_ALLOWLIST),
    fixerCmd,
    fixerTimeoutMs: 30_000,
    killGraceMs: 300,
    git: { remote: "origin", branch: undefined },
    health: { graceMs: 0, intervalMs: 10, timeoutMs: 10 },
    ...more,
  } satisfies CodeFixSettings;
}

const plan = { id: "plan-1", target: "services/app.py", rationale: "fix the crash" };

describe("code_fix runs safely in a real git work tree", () => {
  let repo: TestRepo;
  let steps: { step: string; detail: Record<string, unknown> }[];
  const report = async (step: string, detail: Record<string, unknown>) => {
    steps.push({ step, detail });
  };
  const read = (f: string) => readFileSync(join(repo.work, f), "utf8");
  /** Files in the remote's newest commit. */
  const remoteFiles = async () =>
    (await git(repo.remote, "show", "--name-only", "--format=", "main")).trim().split("\n");

  beforeEach(async () => {
    repo?.remove();
    repo = await makeTestRepo();
    writeFileSync(join(repo.work, "README.md"), "# app\n");
    writeFileSync(join(repo.work, ".gitignore"), "*.log\n");
    await git(repo.work, "add", "-A");
    await git(repo.work, "commit", "-m", "docs");
    await git(repo.work, "push");
    steps = [];
  });
  after(() => repo.remove());

  it("refuses a work tree with uncommitted changes, naming them, and runs nothing", async () => {
    writeFileSync(join(repo.work, "services", "app.py"), "print('work in progress')\n");
    const out = await executeCodeFix(plan, settings(repo, fixer(repo, "f", EDIT)), report);
    assert.equal(out.status, "refused");
    assert.match(out.reason, /uncommitted changes \(M services\/app\.py\)/);
    assert.equal(read("services/app.py"), "print('work in progress')\n", "their change stays");
    assert.ok(!steps.some((s) => s.step === "fixer_started"), "the fixer never ran");
  });

  it("starts from the remote branch fetched: the fix lands on top of a commit pushed elsewhere", async (t) => {
    const other = mkdtempSync(join(tmpdir(), "cp-other-"));
    t.after(() => rmSync(other, { recursive: true, force: true }));
    await git(other, "clone", repo.remote, "clone");
    writeFileSync(join(other, "clone", "services", "db.py"), "pool = 5\n");
    await git(join(other, "clone"), "add", "-A");
    await git(join(other, "clone"), "commit", "-m", "pushed from elsewhere");
    await git(join(other, "clone"), "push");
    const out = await executeCodeFix(plan, settings(repo, fixer(repo, "f", EDIT)), report);
    assert.equal(out.status, "succeeded", out.reason);
    const log = await repo.remoteLog();
    assert.match(log[0] ?? "", /^heal: fix the crash/);
    assert.equal(log[1], "pushed from elsewhere", "fast-forwarded before the fix");
    assert.equal(read("services/db.py"), "pool = 5\n");
  });

  it("refuses when the local branch has commits the remote does not", async () => {
    writeFileSync(join(repo.work, "services", "local.py"), "x = 1\n");
    await git(repo.work, "add", "-A");
    await git(repo.work, "commit", "-m", "never pushed");
    const out = await executeCodeFix(plan, settings(repo, fixer(repo, "f", EDIT)), report);
    assert.equal(out.status, "refused");
    assert.match(out.reason, /1 local commit\(s\) not on origin/);
  });

  it("commits only the changed files L1 allows; the others are undone and named", async () => {
    const cmd = fixer(
      repo,
      "wide",
      `${EDIT}
       appendFileSync("README.md", "edited by the fixer\\n");
       writeFileSync("notes.txt", "scratch\\n");
       mkdirSync("services/new", { recursive: true });
       writeFileSync("services/new/helper.py", "def help(): pass\\n");`,
    );
    const out = await executeCodeFix(plan, settings(repo, cmd), report);
    assert.equal(out.status, "succeeded", out.reason);
    assert.deepEqual((await remoteFiles()).sort(), ["services/app.py", "services/new/helper.py"]);
    const dropped = steps.find((s) => s.step === "L1_dropped");
    assert.deepEqual(dropped?.detail.files, ["README.md", "notes.txt"]);
    assert.equal(read("README.md"), "# app\n", "tracked file outside L1 restored");
    assert.equal(existsSync(join(repo.work, "notes.txt")), false, "file the fixer created removed");
    assert.equal(await repo.status(), "");
  });

  it("never deletes files it did not create, on success or on failure", async () => {
    writeFileSync(join(repo.work, "services", "scratch.py"), "mine = 1\n");
    writeFileSync(join(repo.work, "todo.txt"), "my notes\n");
    writeFileSync(join(repo.work, "debug.log"), "ignored\n");
    const ok = await executeCodeFix(plan, settings(repo, fixer(repo, "f", EDIT)), report);
    assert.equal(ok.status, "succeeded", ok.reason);
    assert.deepEqual(
      await remoteFiles(),
      ["services/app.py"],
      "their allowlisted file not committed",
    );
    const failing = fixer(
      repo,
      "bad",
      `${EDIT} writeFileSync("services/tmp.py", "1\\n"); process.exit(2);`,
    );
    const bad = await executeCodeFix(plan, settings(repo, failing), report);
    assert.equal(bad.status, "failed");
    assert.match(bad.reason, /fixer exited 2; change discarded/);
    for (const f of ["services/scratch.py", "todo.txt", "debug.log"])
      assert.ok(existsSync(join(repo.work, f)), `${f} is still there`);
    assert.equal(existsSync(join(repo.work, "services", "tmp.py")), false, "its own file removed");
    assert.equal((await git(repo.work, "status", "--porcelain")).trim().split("\n").length, 2);
  });

  it("on timeout kills the fixer's whole group, even when it ignores SIGTERM and a child holds stdout", async () => {
    const cmd = fixer(
      repo,
      "stuck",
      `${EDIT}
       process.on("SIGTERM", () => {});
       const child = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: "inherit" });
       writeFileSync(${JSON.stringify(join(repo.dir, "child.pid"))}, String(child.pid));
       setInterval(() => {}, 1000);`,
    );
    const t0 = Date.now();
    const out = await executeCodeFix(plan, settings(repo, cmd, { fixerTimeoutMs: 500 }), report);
    const took = Date.now() - t0;
    assert.equal(out.status, "failed");
    assert.match(out.reason, /fixer timed out after 0.5 s; killed; change discarded/);
    assert.ok(took < 10_000, `took ${took} ms`);
    const childPid = Number(readFileSync(join(repo.dir, "child.pid"), "utf8"));
    assert.equal(await running(childPid), false, "the child that ignored SIGTERM was killed");
    assert.equal(await repo.status(), "", "its edit was discarded");
  });

  it("reports a fixer whose output passes maxBuffer as such", async () => {
    const cmd = fixer(
      repo,
      "loud",
      `${EDIT}
       const block = "y".repeat(1 << 20);
       const write = (n) => n > 0 && process.stdout.write(block, () => write(n - 1));
       write(20);`,
    );
    const out = await executeCodeFix(plan, settings(repo, cmd), report);
    assert.equal(out.status, "failed");
    assert.match(out.reason, /fixer printed more than 16 MiB of output \(maxBuffer\); killed/);
    assert.equal(steps.find((s) => s.step === "fixer_finished")?.detail.overflow, true);
    assert.equal(await repo.status(), "");
  });
});

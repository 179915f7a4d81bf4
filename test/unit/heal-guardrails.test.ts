import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { callbackData } from "../../src/callback-data.ts";
import {
  checkDiffSize,
  checkFileAllowed,
  checkRate,
  checkRepo,
  probeHealth,
  revertAndPush,
  waitHealthy,
} from "../../src/heal/guardrails.ts";
import {
  DEFAULT_FILE_ALLOWLIST,
  healEnvShape,
  healSettings,
  runningLimitMs,
} from "../../src/heal/heal-config.ts";
import { contentHash } from "../../src/heal/plan-content.ts";
import { interruptedReason, processAlive, type Runner } from "../../src/heal/plan-recovery.ts";
import { checkNotProtected } from "../../src/heal/protected.ts";
import { redactSecrets } from "../../src/heal/redact.ts";
import { fillTemplate, git } from "../../src/heal/run-process.ts";
import { discardChanges, stagedLines } from "../../src/heal/work-tree.ts";
import {
  type HealthServer,
  makeTestRepo,
  startHealthServer,
  type TestRepo,
} from "../helpers/heal.ts";

const allow = new RegExp(DEFAULT_FILE_ALLOWLIST);
const fast = { graceMs: 10, intervalMs: 20, timeoutMs: 150 };

describe("heal guardrails (L0–L4, protected resources)", () => {
  let repo: TestRepo;
  let health: HealthServer;
  before(async () => {
    repo = await makeTestRepo();
    health = await startHealthServer();
  });
  after(async () => {
    repo.remove();
    await health.stop();
  });

  it("L0 refuses a missing path and a directory that is not a git work tree", async () => {
    assert.equal((await checkRepo(join(repo.dir, "nope"))).ok, false);
    const plain = mkdtempSync(join(tmpdir(), "cp-plain-"));
    try {
      const v = await checkRepo(plain);
      assert.equal(v.ok, false);
      assert.match(v.ok ? "" : v.reason, /not a git work tree/);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
    assert.equal((await checkRepo(undefined)).ok, false);
    assert.deepEqual(await checkRepo(repo.work), { ok: true });
  });

  it("L1 allows Python under services/, routes/, database/ and refuses anything else", () => {
    assert.equal(checkFileAllowed("services/app.py", allow).ok, true);
    assert.equal(checkFileAllowed("routes/a/b.py", allow).ok, true);
    assert.equal(checkFileAllowed("database/models.py", allow).ok, true);
    assert.equal(checkFileAllowed("config/settings.py", allow).ok, false);
    assert.equal(checkFileAllowed("services/app.js", allow).ok, false);
    assert.equal(checkFileAllowed("services/../etc/x.py", allow).ok, false);
    assert.equal(checkFileAllowed("/services/x.py", allow).ok, false);
  });

  it("L2 passes 1–50 staged lines and refuses more, or none", async () => {
    const file = join(repo.work, "services", "app.py");
    writeFileSync(file, `${readFileSync(file, "utf8")}x = 1\n`);
    await git(repo.work, "add", "-A");
    const small = checkDiffSize(await stagedLines(repo.work));
    assert.deepEqual(small, { ok: true, lines: 1 });
    writeFileSync(file, Array.from({ length: 60 }, (_, i) => `y${i} = ${i}\n`).join(""));
    writeFileSync(join(repo.work, "services", "new.py"), "z = 1\n");
    await git(repo.work, "add", "-A");
    const big = checkDiffSize(await stagedLines(repo.work));
    assert.equal(big.ok, false);
    assert.match(big.ok ? "" : big.reason, /L2: 62 changed lines/);
    await discardChanges(repo.work, {
      modified: ["services/app.py"],
      created: ["services/new.py"],
    });
    assert.equal(await repo.status(), "", "tree is clean after the discard");
    const none = checkDiffSize(await stagedLines(repo.work));
    assert.equal(none.ok, false);
    assert.equal(none.lines, 0);
  });

  it("L3 refuses the sixth execution in a rolling hour", async () => {
    const now = new Date("2026-11-23T01:00:00Z");
    let since: Date | undefined;
    const ok = await checkRate(
      async (s) => {
        since = s;
        return 4;
      },
      now,
      5,
    );
    assert.equal(ok.ok, true);
    assert.equal(since?.toISOString(), "2026-11-23T00:00:00.000Z");
    const refused = await checkRate(async () => 5, now, 5);
    assert.equal(refused.ok, false);
  });

  it("L4 polls until healthy, and fails when the endpoint stays down", async () => {
    health.healthy = true;
    assert.equal(await probeHealth(health.url, 1000), true);
    assert.deepEqual(await waitHealthy(health.url, fast), { ok: true });
    health.healthy = false;
    const before = health.hits;
    const down = await waitHealthy(health.url, fast);
    assert.equal(down.ok, false);
    assert.ok(health.hits - before >= 2, "polled more than once");
    assert.equal(await probeHealth("http://127.0.0.1:1/health", 500), false);
    health.healthy = true;
  });

  it("L4 revert: git revert --no-edit HEAD is pushed to the remote", async () => {
    const file = join(repo.work, "services", "app.py");
    writeFileSync(file, `${readFileSync(file, "utf8")}bad = 1\n`);
    await git(repo.work, "commit", "-am", "bad change");
    await git(repo.work, "push");
    await revertAndPush(repo.work, { remote: "origin", branch: "main" });
    const log = await repo.remoteLog();
    assert.match(log[0] ?? "", /^Revert "bad change"/);
    assert.equal(log[1], "bad change");
  });

  it("refuses protected resources (database-like names) and allows others", () => {
    const p = /(postgres|mysql|mariadb|redis|mongo|database|db)/i;
    assert.equal(checkNotProtected("postgres-main", p).ok, false);
    assert.equal(checkNotProtected("Redis", p).ok, false);
    assert.equal(checkNotProtected("api-gateway", p).ok, true);
  });

  it("redacts sk-, ghp_, nvapi- keys and bearer tokens from kept output", () => {
    const out = redactSecrets(
      "key sk-abcdefghijklmnop ghp_ABCDEFGHIJKLMNOP nvapi-abcdefghijkl Authorization: Bearer abc.def",
    );
    assert.doesNotMatch(out, /sk-abc|ghp_ABC|nvapi-abc|abc\.def/);
    assert.equal(out.match(/\[redacted\]/g)?.length, 4);
  });

  it("fills argv templates element by element, never through a shell", () => {
    assert.deepEqual(
      fillTemplate(["systemctl", "restart", "{target}"], { target: "a; rm -rf /" }),
      ["systemctl", "restart", "a; rm -rf /"],
    );
  });

  it("binds decisions to a stable content hash and keeps callback data within 64 bytes", () => {
    const c = {
      kind: "code_fix" as const,
      target: "services/app.py",
      rationale: "fix",
      risk: "low",
    };
    assert.equal(contentHash(c), contentHash({ ...c }));
    assert.notEqual(contentHash(c), contentHash({ ...c, rationale: "fix it" }));
    const id = "01JD0000000000000000000000";
    for (const d of [
      callbackData.plan.approve(id),
      callbackData.plan.reject(id),
      callbackData.plan.details(id),
      callbackData.proposeFix(id),
    ])
      assert.ok(Buffer.byteLength(d) <= 64);
  });

  it("reads HEAL_* settings: defaults, JSON argv lists, and bad values named", () => {
    const parse = (env: Record<string, string>) => healSettings(z.object(healEnvShape).parse(env));
    const d = parse({});
    assert.equal(d.maxPerHour, 5);
    assert.deepEqual(d.health, { graceMs: 10_000, intervalMs: 10_000, timeoutMs: 120_000 });
    assert.equal(d.fixerCmd[0], "aider");
    const s = parse({ HEAL_COMMANDS: '{"restart":["systemctl","restart","{target}"]}' });
    assert.deepEqual(s.commands.restart, ["systemctl", "restart", "{target}"]);
    assert.throws(() => parse({ HEAL_FIXER_CMD: "aider --yes" }), /HEAL_FIXER_CMD/);
    assert.throws(() => parse({ HEAL_FILE_ALLOWLIST: "([" }), /HEAL_FILE_ALLOWLIST/);
  });
});

describe("crash recovery: when a running plan's runner is gone", () => {
  const self: Runner = { host: "box-a", pid: 4242, instance: "01JSELF000000000000000000" };
  const now = new Date("2026-11-23T01:00:00Z");
  const limitMs = 15 * 60_000;
  const startedAt = new Date(now.getTime() - 60_000);
  const check = (runner: Runner | undefined, opts: { ran?: number; alive?: boolean } = {}) =>
    interruptedReason({
      startedAt: opts.ran === undefined ? startedAt : new Date(now.getTime() - opts.ran),
      runner,
      self,
      now,
      limitMs,
      alive: () => opts.alive ?? true,
    });

  it("leaves this process's own executions alone, however long they take", () => {
    assert.equal(check(self, { ran: 10 * limitMs }), undefined);
  });

  it("calls a plan interrupted by a restart when its runner on this host is gone", () => {
    const sameHostDead = { ...self, pid: 9999, instance: "01JOLD0000000000000000000" };
    assert.match(check(sameHostDead, { alive: false }) ?? "", /^interrupted by a restart/);
    const samePidReused = { ...self, instance: "01JOLD0000000000000000000" };
    assert.match(check(samePidReused) ?? "", /^interrupted by a restart/, "pid 1 in a container");
  });

  it("waits for the longest possible run before calling another replica's plan stopped", () => {
    const otherHost = { host: "box-b", pid: 4242, instance: "01JOTHER00000000000000000" };
    assert.equal(check(otherHost), undefined);
    const liveNeighbour = { ...self, pid: 5555, instance: "01JOTHER00000000000000000" };
    assert.equal(check(liveNeighbour, { alive: true }), undefined);
    assert.match(check(otherHost, { ran: limitMs + 1000 }) ?? "", /^no result after 15m/);
    assert.match(check(undefined, { ran: limitMs + 1000 }) ?? "", /^no result after/);
    assert.equal(check(undefined), undefined);
  });

  it("sizes the longest run from the fixer timeout, the L4 window and the command timeout", () => {
    const base = { fixerTimeoutMs: 600_000, commandTimeoutMs: 300_000 };
    const health = { graceMs: 10_000, intervalMs: 10_000, timeoutMs: 120_000 };
    assert.equal(runningLimitMs({ ...base, health }), 600_000 + 130_000 + 300_000);
    assert.equal(
      runningLimitMs({ ...base, commandTimeoutMs: 3_600_000, health }),
      3_600_000 + 60_000,
    );
    assert.equal(processAlive(process.pid), true);
  });
});

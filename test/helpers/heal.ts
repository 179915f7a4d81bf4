import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { type DeliveryRow, deliveries, type HealPlanRow } from "../../db/schema/index.ts";
import { git } from "../../src/heal/run-process.ts";
import type { TestApp } from "./app.ts";

// Commits in tests need an identity; execFile passes process.env to git.
process.env.GIT_AUTHOR_NAME = "Heal Test";
process.env.GIT_AUTHOR_EMAIL = "heal@test.invalid";
process.env.GIT_COMMITTER_NAME = "Heal Test";
process.env.GIT_COMMITTER_EMAIL = "heal@test.invalid";

/** A work tree cloned from a bare remote, with a fixer script beside it. */
export interface TestRepo {
  dir: string;
  /** The clone (HEAL_REPO_PATH). */
  work: string;
  /** The bare remote it pushes to. */
  remote: string;
  /** argv template of the test fixer (HEAL_FIXER_CMD as a JSON array). */
  fixerCmd: string[];
  /** Commit subjects on the remote's default branch, newest first. */
  remoteLog(): Promise<string[]>;
  /** `git status --porcelain` of the work tree ("" when clean). */
  status(): Promise<string>;
  remove(): void;
}

/**
 * The test fixer: appends N lines to `{file}`, where the message holds `lines=N` (default 3);
 * a message holding `fail` makes it exit 1 after writing; it prints a fake secret to check
 * redaction.
 */
const FIXER = `
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
const [message, file] = process.argv.slice(2);
const n = Number(/lines=(\\d+)/.exec(message)?.[1] ?? 3);
mkdirSync(dirname(file), { recursive: true });
appendFileSync(file, Array.from({ length: n }, (_, i) => "# fix " + i + "\\n").join(""));
console.log("edited " + file + " with key sk-abcdefghijklmnop1234");
if (message.includes("fail")) process.exit(1);
`;

/** Creates a bare remote, a clone with one commit on `main`, and the fixer script. */
export async function makeTestRepo(): Promise<TestRepo> {
  const dir = mkdtempSync(join(tmpdir(), "cp-heal-"));
  const remote = join(dir, "remote.git");
  const work = join(dir, "work");
  await git(dir, "init", "--bare", "--initial-branch=main", remote);
  await git(dir, "clone", remote, work);
  await git(work, "checkout", "-B", "main");
  mkdirSync(join(work, "services"), { recursive: true });
  writeFileSync(join(work, "services", "app.py"), "print('hi')\n");
  await git(work, "add", "-A");
  await git(work, "commit", "-m", "initial");
  await git(work, "push", "-u", "origin", "main");
  const fixer = join(dir, "fixer.mjs");
  writeFileSync(fixer, FIXER);
  return {
    dir,
    work,
    remote,
    fixerCmd: [process.execPath, fixer, "{message}", "{file}"],
    remoteLog: async () =>
      (await git(remote, "log", "--format=%s", "main")).trim().split("\n").filter(Boolean),
    status: async () => (await git(work, "status", "--porcelain")).trim(),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A local health endpoint whose answer tests switch. */
export interface HealthServer {
  url: string;
  /** true: 200 `{status:"ok"}`; false: 503 `{status:"down"}`. */
  healthy: boolean;
  hits: number;
  stop(): Promise<void>;
}

/** Starts a node:http health endpoint on a free loopback port. */
export async function startHealthServer(): Promise<HealthServer> {
  let server: Server | undefined;
  const state: HealthServer = {
    url: "",
    healthy: true,
    hits: 0,
    stop: () => new Promise((r) => server?.close(() => r())),
  };
  server = createServer((_req, res) => {
    state.hits++;
    res.writeHead(state.healthy ? 200 : 503, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: state.healthy ? "ok" : "down" }));
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  return state;
}

/** The HEAL_* settings of a suite that runs code fixes against `repo`, checked at `health`. */
export function healEnv(repo: TestRepo, health: HealthServer): Record<string, string> {
  return {
    HEAL_REPO_PATH: repo.work,
    HEAL_HEALTH_URL: health.url,
    HEAL_FIXER_CMD: JSON.stringify(repo.fixerCmd),
    HEAL_HEALTH_GRACE_MS: "10",
    HEAL_HEALTH_INTERVAL_MS: "20",
    HEAL_HEALTH_TIMEOUT_MS: "200",
  };
}

/** Plan `id` as stored; fails the test when there is none. */
export async function storedPlan(t: TestApp, id: string): Promise<HealPlanRow> {
  return (await t.app.heal.store.get(id)) ?? assert.fail("no plan");
}

/** The outbox row that sends plan `id`'s message; fails the test when there is none. */
export async function planSendRow(t: TestApp, id: string): Promise<DeliveryRow> {
  const [row] = await t.app.database.db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.subject, `plan:${id}`), eq(deliveries.kind, "send")));
  return row ?? assert.fail("no plan message");
}

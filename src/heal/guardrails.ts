import { existsSync, statSync } from "node:fs";
import { git, runProcess } from "./run-process.ts";

/** A guardrail's verdict: pass, or refuse with a reason for the chat and the audit. */
export type Verdict = { ok: true } | { ok: false; reason: string };

const pass: Verdict = { ok: true };

/**
 * Guardrail L0: `repoPath` exists, is a directory and is inside a git work tree.
 * Checked before anything else runs.
 */
export async function checkRepo(repoPath: string | undefined): Promise<Verdict> {
  if (!repoPath) return { ok: false, reason: "L0: HEAL_REPO_PATH is not configured" };
  if (!existsSync(repoPath) || !statSync(repoPath).isDirectory())
    return { ok: false, reason: `L0: repository path ${repoPath} does not exist` };
  const r = await runProcess("git", ["rev-parse", "--is-inside-work-tree"], {
    cwd: repoPath,
    timeoutMs: 10_000,
  });
  if (r.code !== 0 || r.stdout.trim() !== "true")
    return { ok: false, reason: `L0: ${repoPath} is not a git work tree` };
  return pass;
}

/**
 * Guardrail L1: the target file matches the allowlist regex (default
 * `^(services|routes|database)/.+\.py$`, `HEAL_FILE_ALLOWLIST`) and cannot climb out of the
 * repository (`..`, absolute paths). Checked before the fixer runs.
 */
export function checkFileAllowed(file: string, allowlist: RegExp): Verdict {
  if (file.startsWith("/") || file.split("/").includes(".."))
    return { ok: false, reason: `L1: ${file} leaves the repository` };
  if (!allowlist.test(file))
    return { ok: false, reason: `L1: ${file} is not allowed by ${allowlist.source}` };
  return pass;
}

/**
 * Guardrail L2: the change about to be committed (lines added + deleted in the
 * index, work-tree.ts `stagedLines`) must be within `min`–`max` (1–50). The caller discards
 * the change when it is not.
 */
export function checkDiffSize(
  lines: number,
  limits: { min: number; max: number } = { min: 1, max: 50 },
): Verdict & { lines: number } {
  if (lines >= limits.min && lines <= limits.max) return { ok: true, lines };
  return {
    ok: false,
    lines,
    reason: `L2: ${lines} changed lines, allowed ${limits.min}–${limits.max}; change discarded`,
  };
}

/**
 * Guardrail L3: at most `max` executions in the rolling hour before `now`.
 * `startedSince` counts executions from the database, so restarts do not reset it.
 */
export async function checkRate(
  startedSince: (since: Date) => Promise<number>,
  now: Date,
  max: number,
): Promise<Verdict> {
  const n = await startedSince(new Date(now.getTime() - 3_600_000));
  if (n >= max) return { ok: false, reason: `L3: ${n} executions in the last hour (max ${max})` };
  return pass;
}

/**
 * Health poll timing in ms (defaults: 10 s grace for the service to restart, a probe every
 * 10 s, up to 120 s).
 */
export interface HealthTiming {
  graceMs: number;
  intervalMs: number;
  timeoutMs: number;
}

/** One probe: HTTP 200 with a JSON body whose `status` is `ok` or `healthy`. */
export async function probeHealth(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) return false;
    const body = (await res.json()) as { status?: unknown };
    return body.status === "ok" || body.status === "healthy";
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Guardrail L4: waits `graceMs`, then probes `url` every `intervalMs` until it is
 * healthy or `timeoutMs` (counted after the grace) has passed. Returns whether it became healthy.
 */
export async function waitHealthy(url: string, t: HealthTiming): Promise<Verdict> {
  await sleep(t.graceMs);
  const deadline = Date.now() + t.timeoutMs;
  for (;;) {
    if (await probeHealth(url, Math.max(1000, t.intervalMs))) return pass;
    if (Date.now() + t.intervalMs > deadline)
      return { ok: false, reason: `L4: ${url} not healthy within ${t.timeoutMs} ms` };
    await sleep(t.intervalMs);
  }
}

/** The L4 rollback: `git revert --no-edit HEAD`, then push it to `remote` `branch`. */
export async function revertAndPush(
  repoPath: string,
  to: { remote: string; branch: string },
): Promise<void> {
  await git(repoPath, "revert", "--no-edit", "HEAD");
  await git(repoPath, "push", to.remote, `HEAD:${to.branch}`);
}

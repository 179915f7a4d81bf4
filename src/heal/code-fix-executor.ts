import type { HealPlanRow } from "../../db/schema/index.ts";
import { coerceError } from "../errors.ts";
import { runFixer } from "./fixer.ts";
import {
  checkDiffSize,
  checkFileAllowed,
  checkRepo,
  revertAndPush,
  type Verdict,
  waitHealthy,
} from "./guardrails.ts";
import type { HealSettings } from "./heal-config.ts";
import { syncWorkTree } from "./repo-sync.ts";
import { git } from "./run-process.ts";
import type { Outcome, StepReporter } from "./step-reporter.ts";
import {
  discardChanges,
  stagedLines,
  type TreeChanges,
  treeChanges,
  untrackedFiles,
} from "./work-tree.ts";

/** Settings a code_fix execution reads. */
export type CodeFixSettings = Pick<
  HealSettings,
  | "repoPath"
  | "healthUrl"
  | "fileAllowlist"
  | "fixerCmd"
  | "fixerTimeoutMs"
  | "killGraceMs"
  | "git"
  | "health"
>;

/**
 * Checks that run before anything else: L0 the repository is a git work tree,
 * then L1 the target file is allowlisted.
 */
export async function preflightCodeFix(
  plan: Pick<HealPlanRow, "target">,
  settings: CodeFixSettings,
): Promise<Verdict> {
  const repo = await checkRepo(settings.repoPath);
  if (!repo.ok) return repo;
  return checkFileAllowed(plan.target, settings.fileAllowlist);
}

/**
 * Executes an approved code_fix plan after {@link preflightCodeFix} passed: syncs the work
 * tree with the remote branch (a tree with uncommitted changes is refused), runs the fixer,
 * keeps only the changed files L1 allows (the others are undone and named), L2 on what is
 * left, commits exactly those files and pushes, then L4 (health poll; on failure
 * `git revert --no-edit HEAD` and push). Each step is reported (L5). Whatever is discarded,
 * only the run's own changes are: files that were untracked before it stay. `signal` stops
 * the fixer (shutdown).
 */
export async function executeCodeFix(
  plan: Pick<HealPlanRow, "id" | "target" | "rationale">,
  settings: CodeFixSettings,
  report: StepReporter,
  signal?: AbortSignal,
): Promise<Outcome> {
  const repo = settings.repoPath as string;
  const sync = await syncWorkTree(repo, settings.git);
  if (!sync.ok) return { status: "refused", reason: `L0: ${sync.reason}` };
  const to = { remote: settings.git.remote, branch: sync.branch };
  await report("synced", { ...to, head: sync.head });
  const before = await untrackedFiles(repo);
  await report("fixer_started", { argv: settings.fixerCmd }, "Running the fixer…");
  const fix = await runFixer(
    settings.fixerCmd,
    { message: plan.rationale, file: plan.target },
    repo,
    { timeoutMs: settings.fixerTimeoutMs, killGraceMs: settings.killGraceMs, signal },
  );
  const { code, timedOut, overflow, output } = fix;
  await report("fixer_finished", { code, timedOut, overflow, output });
  const changes = await treeChanges(repo, before);
  if (!fix.ok) {
    await discardChanges(repo, changes);
    return { status: "failed", reason: `${fix.failure}; change discarded` };
  }
  const kept = await keepAllowed(repo, changes, settings.fileAllowlist, report);
  const diff = checkDiffSize(await stagedLines(repo));
  await report("L2_diff", { lines: diff.lines, ok: diff.ok, files: filesOf(kept) });
  if (!diff.ok) {
    await discardChanges(repo, kept);
    return { status: "refused", reason: diff.reason };
  }
  const sha = await commitAndPush(repo, plan, to);
  await report("pushed", { commit: sha, lines: diff.lines }, `Pushed ${sha.slice(0, 8)}.`);
  return checkHealth(repo, sha, settings, to, report);
}

const filesOf = (c: TreeChanges) => [...c.modified, ...c.created];

/**
 * L1 after the fixer: stages the changed files the allowlist admits and undoes the others
 * (reported as `L1_dropped`). Returns what was staged.
 */
async function keepAllowed(
  repo: string,
  changes: TreeChanges,
  allowlist: RegExp,
  report: StepReporter,
): Promise<TreeChanges> {
  const allowed = (f: string) => checkFileAllowed(f, allowlist).ok;
  const kept = {
    modified: changes.modified.filter(allowed),
    created: changes.created.filter(allowed),
  };
  const dropped = {
    modified: changes.modified.filter((f) => !allowed(f)),
    created: changes.created.filter((f) => !allowed(f)),
  };
  if (filesOf(dropped).length > 0) {
    await discardChanges(repo, dropped);
    await report("L1_dropped", { files: filesOf(dropped), allowlist: allowlist.source });
  }
  if (filesOf(kept).length > 0) await git(repo, "add", "-A", "--", ...filesOf(kept));
  return kept;
}

/** Commits the index (only the staged files) and pushes it; a failed push undoes the commit. */
async function commitAndPush(
  repo: string,
  plan: Pick<HealPlanRow, "id" | "rationale">,
  to: { remote: string; branch: string },
): Promise<string> {
  await git(repo, "commit", "-m", `heal: ${plan.rationale.slice(0, 200)}\n\nHeal plan ${plan.id}`);
  const sha = (await git(repo, "rev-parse", "HEAD")).trim();
  try {
    await git(repo, "push", to.remote, `HEAD:${to.branch}`);
  } catch (err) {
    await git(repo, "reset", "--quiet", "--keep", "HEAD~1");
    throw new Error(`${coerceError(err).message}; the commit was undone`);
  }
  return sha;
}

/** L4: polls the health URL after the push; reverts and pushes when it stays unhealthy. */
async function checkHealth(
  repo: string,
  sha: string,
  settings: CodeFixSettings,
  to: { remote: string; branch: string },
  report: StepReporter,
): Promise<Outcome> {
  if (!settings.healthUrl) {
    await report("L4_skipped", { reason: "HEAL_HEALTH_URL is not configured" });
    return { status: "succeeded", reason: `pushed ${sha.slice(0, 8)}; no health URL to check` };
  }
  await report("L4_checking", { url: settings.healthUrl }, "Checking health…");
  const health = await waitHealthy(settings.healthUrl, settings.health);
  if (health.ok) return { status: "succeeded", reason: `pushed ${sha.slice(0, 8)}; healthy` };
  await revertAndPush(repo, to);
  const revert = (await git(repo, "rev-parse", "HEAD")).trim();
  await report("L4_reverted", { commit: sha, revert, reason: health.reason });
  return { status: "reverted", reason: `${health.reason}; reverted ${sha.slice(0, 8)}` };
}

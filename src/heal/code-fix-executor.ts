import type { HealPlanRow } from "../../db/schema/index.ts";
import { runFixer } from "./fixer.ts";
import {
  checkDiffSize,
  checkFileAllowed,
  checkRepo,
  discardChanges,
  revertAndPush,
  type Verdict,
  waitHealthy,
} from "./guardrails.ts";
import type { HealSettings } from "./heal-config.ts";
import { git } from "./run-process.ts";
import type { Outcome, StepReporter } from "./step-reporter.ts";

/** Settings a code_fix execution reads. */
export type CodeFixSettings = Pick<
  HealSettings,
  "repoPath" | "healthUrl" | "fileAllowlist" | "fixerCmd" | "fixerTimeoutMs" | "health"
>;

/**
 * Checks that run before anything else (seed 001): L0 the repository is a git work tree,
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
 * Executes an approved code_fix plan after {@link preflightCodeFix} passed: the fixer, L2
 * (diff size, discard when outside 1–50 lines), commit and push, then L4 (health poll; on
 * failure `git revert --no-edit HEAD` and push). Each step is reported (L5).
 */
export async function executeCodeFix(
  plan: Pick<HealPlanRow, "id" | "target" | "rationale">,
  settings: CodeFixSettings,
  report: StepReporter,
): Promise<Outcome> {
  const repo = settings.repoPath as string;
  await report("fixer_started", { argv: settings.fixerCmd }, "Running the fixer…");
  const fix = await runFixer(
    settings.fixerCmd,
    { message: plan.rationale, file: plan.target },
    repo,
    settings.fixerTimeoutMs,
  );
  await report("fixer_finished", { code: fix.code, timedOut: fix.timedOut, output: fix.output });
  if (!fix.ok) {
    await discardChanges(repo);
    const why = fix.timedOut ? "fixer timed out" : `fixer exited ${fix.code}`;
    return { status: "failed", reason: `${why}; change discarded` };
  }
  const diff = await checkDiffSize(repo);
  await report("L2_diff", { lines: diff.lines, ok: diff.ok });
  if (!diff.ok) return { status: "refused", reason: diff.reason };

  await git(repo, "add", "-A");
  await git(repo, "commit", "-m", `heal: ${plan.rationale.slice(0, 200)}\n\nHeal plan ${plan.id}`);
  const sha = (await git(repo, "rev-parse", "HEAD")).trim();
  await git(repo, "push");
  await report("pushed", { commit: sha, lines: diff.lines }, `Pushed ${sha.slice(0, 8)}.`);

  if (!settings.healthUrl) {
    await report("L4_skipped", { reason: "HEAL_HEALTH_URL is not configured" });
    return { status: "succeeded", reason: `pushed ${sha.slice(0, 8)}; no health URL to check` };
  }
  await report("L4_checking", { url: settings.healthUrl }, "Checking health…");
  const health = await waitHealthy(settings.healthUrl, settings.health);
  if (health.ok) return { status: "succeeded", reason: `pushed ${sha.slice(0, 8)}; healthy` };
  await revertAndPush(repo);
  const revert = (await git(repo, "rev-parse", "HEAD")).trim();
  await report("L4_reverted", { commit: sha, revert, reason: health.reason });
  return { status: "reverted", reason: `${health.reason}; reverted ${sha.slice(0, 8)}` };
}

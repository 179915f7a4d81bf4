import { coerceError } from "../errors.ts";
import { git } from "./run-process.ts";
import { uncommittedChanges } from "./work-tree.ts";

/** Where a code_fix starts from and pushes to. */
export interface GitTarget {
  /** Remote fetched and pushed to (`HEAL_GIT_REMOTE`, default `origin`). */
  remote: string;
  /** Branch; undefined → the branch checked out in the work tree (`HEAL_GIT_BRANCH`). */
  branch: string | undefined;
}

/** A work tree ready for the fixer, or why it is not. */
export type SyncResult = { ok: true; branch: string; head: string } | { ok: false; reason: string };

const LISTED = 5;

/**
 * Brings the work tree to the tip of `remote`/`branch` before a fixer runs: refuses a tree
 * with uncommitted changes to tracked files (naming them: they are somebody's work), fetches
 * the branch, checks it out and fast-forwards it. Refuses when the local branch has commits
 * the remote does not (they would be pushed with the fix) or has diverged. Untracked files
 * are left as they are.
 */
export async function syncWorkTree(repo: string, target: GitTarget): Promise<SyncResult> {
  try {
    const dirty = await uncommittedChanges(repo);
    if (dirty.length > 0) {
      const more = dirty.length > LISTED ? ` and ${dirty.length - LISTED} more` : "";
      return {
        ok: false,
        reason: `the work tree has uncommitted changes (${dirty.slice(0, LISTED).join(", ")}${more}); commit or stash them first`,
      };
    }
    const branch = target.branch ?? (await currentBranch(repo));
    if (!branch) return { ok: false, reason: "HEAD is detached; set HEAL_GIT_BRANCH" };
    await git(repo, "fetch", "--quiet", target.remote, branch);
    const remoteTip = (await git(repo, "rev-parse", "FETCH_HEAD")).trim();
    if ((await currentBranch(repo)) !== branch) await git(repo, "checkout", "--quiet", branch);
    const ahead = Number((await git(repo, "rev-list", "--count", `${remoteTip}..HEAD`)).trim());
    if (ahead > 0)
      return {
        ok: false,
        reason: `${branch} has ${ahead} local commit(s) not on ${target.remote}; they would be pushed with the fix`,
      };
    await git(repo, "merge", "--ff-only", "--quiet", remoteTip);
    return { ok: true, branch, head: (await git(repo, "rev-parse", "HEAD")).trim() };
  } catch (err) {
    return { ok: false, reason: `syncing with ${target.remote}: ${coerceError(err).message}` };
  }
}

async function currentBranch(repo: string): Promise<string | undefined> {
  try {
    return (await git(repo, "symbolic-ref", "--quiet", "--short", "HEAD")).trim() || undefined;
  } catch {
    return undefined;
  }
}

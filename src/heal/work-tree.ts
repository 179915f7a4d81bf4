import { rmSync } from "node:fs";
import { join } from "node:path";
import { git } from "./run-process.ts";

/** Files a run changed in the work tree, repository-relative. */
export interface TreeChanges {
  /** Tracked files modified or deleted. */
  modified: string[];
  /** Untracked files that were not there before the run: the run created them. */
  created: string[];
}

/** One entry of `git status --porcelain=v1 -z`: two status letters and a path. */
interface StatusEntry {
  code: string;
  path: string;
}

async function status(repo: string, untracked: "all" | "no"): Promise<StatusEntry[]> {
  const out = await git(repo, "status", "--porcelain=v1", "-z", `--untracked-files=${untracked}`);
  const fields = out.split("\0");
  const entries: StatusEntry[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] ?? "";
    if (f.length < 4) continue;
    const code = f.slice(0, 2);
    entries.push({ code, path: f.slice(3) });
    // A rename or copy is followed by its source path.
    if (code.includes("R") || code.includes("C")) i++;
  }
  return entries;
}

/**
 * Tracked files with changes, staged or not (`git status`, untracked files left out),
 * as `XY path` lines; empty when the tree is clean.
 */
export async function uncommittedChanges(repo: string): Promise<string[]> {
  return (await status(repo, "no")).map((e) => `${e.code.trim()} ${e.path}`);
}

/** Untracked files that are not ignored (`.gitignore`), as a set of paths. */
export async function untrackedFiles(repo: string): Promise<Set<string>> {
  const entries = await status(repo, "all");
  return new Set(entries.filter((e) => e.code === "??").map((e) => e.path));
}

/** What changed since `before` (the untracked files that existed before the run). */
export async function treeChanges(repo: string, before: Set<string>): Promise<TreeChanges> {
  const modified: string[] = [];
  const created: string[] = [];
  for (const e of await status(repo, "all")) {
    if (e.code !== "??") modified.push(e.path);
    else if (!before.has(e.path)) created.push(e.path);
  }
  return { modified, created };
}

/**
 * Undoes `changes` and nothing else: unstages them, restores modified tracked files from
 * HEAD and deletes the files the run created. Untracked files that existed before the run
 * and ignored files are never touched (no `git clean`).
 */
export async function discardChanges(repo: string, changes: TreeChanges): Promise<void> {
  const all = [...changes.modified, ...changes.created];
  if (all.length === 0) return;
  await git(repo, "reset", "-q", "--", ...all);
  if (changes.modified.length > 0) await git(repo, "checkout", "--", ...changes.modified);
  for (const file of changes.created) rmSync(join(repo, file), { force: true });
}

/** Lines added + deleted in the index (`git diff --cached --numstat`; binary files count 0). */
export async function stagedLines(repo: string): Promise<number> {
  const out = await git(repo, "diff", "--cached", "--numstat");
  let total = 0;
  for (const line of out.split("\n")) {
    const [added, deleted] = line.split("\t");
    total += (Number(added) || 0) + (Number(deleted) || 0);
  }
  return total;
}

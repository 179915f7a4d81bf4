import { execFile, spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { CommitPayload, FileEditPayload } from "./events.ts";

/**
 * What git says about a session (read at exit, docs/aider-watch.md): the commit HEAD pointed
 * at when aider started, and at the end the commits since (`git log`) and each file changed since
 * (`git diff --numstat` against the start commit, plus new untracked files). Read-only git
 * commands with `GIT_OPTIONAL_LOCKS=0`, so aider's own git use never meets our lock.
 */

/** The repository as it was when aider started. */
export interface GitStart {
  root: string;
  /** HEAD's sha, or null in a repository without commits yet. */
  head: string | null;
  /** Files already changed at the start (`path` → `added\tdeleted`), read after aider started. */
  dirty: Promise<Map<string, string>>;
  /** Untracked files at the start. */
  untracked: Promise<Set<string>>;
}

const ENV = { ...process.env, GIT_OPTIONAL_LOCKS: "0", GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" };

/** Runs git, resolving its stdout ("" on any failure or after `timeoutMs`). */
function git(cwd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      "git",
      ["-c", "core.quotePath=false", ...args],
      { cwd, env: ENV, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (err, stdout) => resolve(err ? "" : stdout),
    );
  });
}

/**
 * Reads the repository root and HEAD synchronously (one `git rev-parse`, a few ms) so no
 * commit aider makes can slip in before it; the dirty-file snapshot runs in the background.
 * Null outside a git repository or when git is missing.
 */
export function gitStart(cwd: string, timeoutMs = 1500): GitStart | null {
  const r = spawnSync("git", ["rev-parse", "--show-toplevel", "--verify", "-q", "HEAD"], {
    cwd,
    env: ENV,
    timeout: timeoutMs,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  if (r.error || (r.status !== 0 && r.status !== 1)) return null;
  const [root, head] = (r.stdout ?? "").split("\n");
  if (!root) return null;
  const base = head || null;
  return {
    root,
    head: base,
    dirty: git(root, ["diff", "--numstat", "-z", "--no-renames", base ?? EMPTY_TREE], 5000).then(
      parseNumstat,
    ),
    untracked: git(root, ["ls-files", "-o", "--exclude-standard", "-z"], 5000).then(
      (s) => new Set(s.split("\0").filter(Boolean)),
    ),
  };
}

/** git's empty tree (sha-1 repositories); the base when the repository had no commit. */
const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

function parseNumstat(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const rec of out.split("\0")) {
    const parts = rec.split("\t");
    if (parts.length >= 3 && parts[2]) m.set(parts[2], `${parts[0]}\t${parts[1]}`);
  }
  return m;
}

/** The end-of-session facts. */
export interface GitEnd {
  edits: FileEditPayload[];
  commits: CommitPayload[];
}

/**
 * Commits since the start and the files changed since it. A file already changed at the
 * start and left exactly as it was is not the session's; a file aider says it edited
 * (`appliedFiles`, from the chat history) always is. aider's own files (`.aider*`) are not
 * edits. Numbers are `git diff --numstat` against the start commit, so a file that was
 * already dirty counts its earlier changes too.
 */
export async function gitEnd(
  start: GitStart,
  appliedFiles: string[],
  timeoutMs = 2000,
): Promise<GitEnd> {
  const base = start.head ?? EMPTY_TREE;
  const [log, numstat, status, untrackedNow, dirty, untrackedThen] = await Promise.all([
    git(
      start.root,
      [
        "log",
        "-n",
        "200",
        "--reverse",
        "--no-color",
        "--name-only",
        "--format=%x1e%H%x1f%an <%ae>%x1f%s",
        start.head ? `${start.head}..HEAD` : "HEAD",
      ],
      timeoutMs,
    ),
    git(start.root, ["diff", "--numstat", "-z", "--no-renames", base], timeoutMs),
    git(start.root, ["diff", "--name-status", "-z", "--no-renames", base], timeoutMs),
    git(start.root, ["ls-files", "-o", "--exclude-standard", "-z"], timeoutMs),
    // Snapshots not finished by now are useless (they could include aider's own changes).
    settledOr(start.dirty, new Map<string, string>()),
    settledOr(start.untracked, new Set<string>()),
  ]);
  const commits = parseLog(log);
  const ours = new Set([...appliedFiles, ...commits.flatMap((c) => c.files)]);
  const added = parseNameStatus(status);
  const edits: FileEditPayload[] = [];
  for (const [path, counts] of parseNumstat(numstat)) {
    if (isAiderFile(path)) continue;
    if (dirty.get(path) === counts && !ours.has(path)) continue;
    const [a, d] = counts.split("\t");
    edits.push(edit(path, toInt(a), toInt(d), added.has(path)));
  }
  for (const path of untrackedNow.split("\0").filter(Boolean)) {
    if (isAiderFile(path) || untrackedThen.has(path)) continue;
    edits.push(edit(path, countLines(join(start.root, path)), 0, true));
  }
  const heads = await diffHeads(start.root, base, edits, timeoutMs);
  for (const e of edits) e.diff_head = heads.get(e.path) ?? newFileHead(start.root, e);
  return { edits, commits };
}

/** `p`'s value if it has settled within a few ms, else `fallback`. */
function settledOr<T>(p: Promise<T>, fallback: T): Promise<T> {
  return Promise.race([p, new Promise<T>((r) => setTimeout(() => r(fallback), 50).unref())]);
}

const edit = (path: string, a: number, d: number, isNew: boolean): FileEditPayload => ({
  path,
  lines_added: a,
  lines_deleted: d,
  diff_head: "",
  is_new_file: isNew,
});

const toInt = (s: string | undefined) => (s && /^\d+$/.test(s) ? Number(s) : 0);
const isAiderFile = (p: string) => /(^|\/)\.aider/.test(p);

function parseLog(out: string): CommitPayload[] {
  const commits: CommitPayload[] = [];
  for (const rec of out.split("\x1e")) {
    const [head, ...rest] = rec.split("\n");
    const [sha, author, message] = (head ?? "").split("\x1f");
    if (!sha || author === undefined) continue;
    const files = rest.map((l) => l.trim()).filter(Boolean);
    commits.push({ sha, author, message: message ?? "", files });
  }
  return commits;
}

function parseNameStatus(out: string): Set<string> {
  const added = new Set<string>();
  const parts = out.split("\0");
  for (let i = 0; i + 1 < parts.length; i += 2) {
    if (parts[i] === "A") added.add(parts[i + 1] ?? "");
  }
  return added;
}

/** First 3 lines of each file's `git diff -U0` (`@@ …` and `+`/`-` lines), for ≤ 50 files. */
async function diffHeads(root: string, base: string, edits: FileEditPayload[], timeoutMs: number) {
  const heads = new Map<string, string>();
  const paths = edits.filter((e) => !(e.is_new_file && e.lines_deleted === 0)).map((e) => e.path);
  const tracked = paths.slice(0, 50);
  if (!tracked.length) return heads;
  const out = await git(
    root,
    ["diff", "-U0", "--no-color", "--no-ext-diff", "--no-renames", base, "--", ...tracked],
    timeoutMs,
  );
  let path: string | null = null;
  let lines: string[] = [];
  const save = () => {
    if (path && lines.length) heads.set(path, lines.join("\n"));
  };
  for (const l of out.split("\n")) {
    if (l.startsWith("diff --git ")) {
      save();
      path = null;
      lines = [];
    } else if (l.startsWith("+++ b/") || (l.startsWith("--- a/") && path === null)) {
      path = l.slice(6);
    } else if (path && lines.length < 3 && /^[@+-]/.test(l) && !l.startsWith("+++")) {
      lines.push(l.slice(0, 300));
    }
  }
  save();
  return heads;
}

/** A new file's head: `@@ -0,0 +1,N @@` and its first two lines. */
function newFileHead(root: string, e: FileEditPayload): string {
  if (!e.is_new_file) return "";
  const text = readSmall(join(root, e.path));
  if (text === null) return "";
  const first = text
    .split("\n")
    .slice(0, 2)
    .map((l) => `+${l.slice(0, 300)}`);
  return [`@@ -0,0 +1,${e.lines_added} @@`, ...first].join("\n");
}

function readSmall(path: string): string | null {
  try {
    if (statSync(path).size > 1024 * 1024) return null;
    const buf = readFileSync(path);
    return buf.includes(0) ? null : buf.toString("utf8");
  } catch {
    return null;
  }
}

function countLines(path: string): number {
  const text = readSmall(path);
  if (!text) return 0;
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

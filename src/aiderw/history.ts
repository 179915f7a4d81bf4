import { closeSync, openSync, readSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import {
  addTokens,
  classifyErrorLine,
  isNewError,
  parseAppliedEdit,
  parseCommitLine,
  parseModel,
  parseTokens,
  parseVersion,
  type TokenTotals,
} from "./aider-lines.ts";
import type { ErrorKind } from "./events.ts";

/**
 * The new part of `.aider.chat.history.md` (read at exit, docs/aider-watch.md): what aider appended
 * during this run. The file (format: test/fixtures/aider/chat-history.md) holds sessions that each
 * start with `# aider chat started at …`; `> ` lines are aider's own output, `#### ` the user's
 * messages, the rest the assistant's replies with SEARCH/REPLACE blocks; lines end in two spaces.
 * Unlike the terminal, it is never wrapped or coloured, so it is the better source for tokens,
 * cost, applied edits and commits.
 */

/** Where aider writes its chat history for this run (aider `args.py`). */
export function historyPath(args: readonly string[], cwd: string, gitRoot: string | null): string {
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (a === "--chat-history-file") file = args[i + 1];
    else if (a.startsWith("--chat-history-file=")) file = a.slice("--chat-history-file=".length);
  }
  file ??= process.env.AIDER_CHAT_HISTORY_FILE || undefined;
  if (file) return isAbsolute(file) ? file : resolve(cwd, file);
  return join(gitRoot ?? cwd, ".aider.chat.history.md");
}

/** The file's size now (the offset the new part starts at); 0 when it does not exist. */
export function historySize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Most bytes read: the end of a huge new part is what matters. */
const MAX_READ = 4 * 1024 * 1024;

/**
 * The text appended since `offset`, or "" when there is none. A file that shrank (deleted,
 * rotated) is read from its start.
 */
export function readHistorySince(path: string, offset: number): string {
  let fd: number | undefined;
  try {
    const size = statSync(path).size;
    const from = size < offset ? 0 : offset;
    const start = Math.max(from, size - MAX_READ);
    const len = size - start;
    if (len <= 0) return "";
    fd = openSync(path, "r");
    const buf = Buffer.alloc(len);
    const n = readSync(fd, buf, 0, len, start);
    return buf.subarray(0, n).toString("utf8");
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Lines added and deleted by the SEARCH/REPLACE blocks of one file (an estimate). */
export interface BlockCounts {
  added: number;
  deleted: number;
}

/** What one session's history part says. */
export interface HistoryFacts {
  version: string | null;
  model: string | null;
  tokens: TokenTotals;
  /** Files aider applied edits to, in order, once each. */
  appliedFiles: string[];
  commits: Array<{ sha: string; message: string }>;
  /** Errors by kind, counted like the live parser counts them. */
  errors: Array<{ kind: ErrorKind; message: string }>;
  /** Per file, from the SEARCH/REPLACE blocks: used when there is no git to ask. */
  blocks: Map<string, BlockCounts>;
  userMessages: number;
}

/** Parses a history part (one or more sessions' text). */
export function parseHistory(text: string): HistoryFacts {
  const facts: HistoryFacts = {
    version: null,
    model: null,
    tokens: { sent: 0, received: 0, costSession: null, lines: 0 },
    appliedFiles: [],
    commits: [],
    errors: [],
    blocks: new Map(),
    userMessages: 0,
  };
  const lastError = new Map<ErrorKind, number>();
  const blocks = new BlockReader(facts.blocks);
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? "").replace(/\r$/, "");
    if (raw.startsWith("> ") || raw === ">") {
      aiderLine(facts, raw.slice(2).trimEnd(), i, lastError);
    } else if (raw.startsWith("#### ")) {
      facts.userMessages++;
    } else {
      blocks.line(raw.trimEnd());
    }
  }
  return facts;
}

function aiderLine(facts: HistoryFacts, line: string, i: number, last: Map<ErrorKind, number>) {
  facts.version ??= parseVersion(line);
  facts.model ??= parseModel(line);
  const t = parseTokens(line);
  if (t) {
    addTokens(facts.tokens, t);
    return;
  }
  const applied = parseAppliedEdit(line);
  if (applied) {
    if (!facts.appliedFiles.includes(applied)) facts.appliedFiles.push(applied);
    return;
  }
  const commit = parseCommitLine(line);
  if (commit) {
    facts.commits.push(commit);
    return;
  }
  const m = classifyErrorLine(line);
  if (m && isNewError(m, i, last)) facts.errors.push({ kind: m.kind, message: line.slice(0, 500) });
}

/** Counts SEARCH/REPLACE blocks: the file is the last plain line before the block's fence. */
class BlockReader {
  private candidate: string | null = null;
  private state: "out" | "search" | "replace" = "out";
  private search: string[] = [];
  private replace: string[] = [];

  constructor(private readonly out: Map<string, BlockCounts>) {}

  line(l: string): void {
    if (this.state === "out") {
      if (l === "<<<<<<< SEARCH") {
        this.state = "search";
        this.search = [];
        this.replace = [];
      } else if (l && !l.startsWith("```")) {
        this.candidate = l.trim();
      }
    } else if (this.state === "search") {
      if (l === "=======") this.state = "replace";
      else this.search.push(l);
    } else if (l.startsWith(">>>>>>> REPLACE")) {
      this.close();
    } else {
      this.replace.push(l);
    }
  }

  /** Multiset difference of the two sides: lines only in REPLACE are added, only in SEARCH deleted. */
  private close(): void {
    this.state = "out";
    if (!this.candidate) return;
    const left = new Map<string, number>();
    for (const s of this.search) left.set(s, (left.get(s) ?? 0) + 1);
    let added = 0;
    for (const r of this.replace) {
      const n = left.get(r) ?? 0;
      if (n > 0) left.set(r, n - 1);
      else added++;
    }
    let deleted = 0;
    for (const n of left.values()) deleted += n;
    const c = this.out.get(this.candidate) ?? { added: 0, deleted: 0 };
    this.out.set(this.candidate, { added: c.added + added, deleted: c.deleted + deleted });
  }
}

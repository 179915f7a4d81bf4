import type { FileEditPayload } from "./events.ts";
import { type GitStart, gitEnd } from "./git-facts.ts";
import { type HistoryFacts, parseHistory, readHistorySince } from "./history.ts";
import type { InternalLog } from "./session-log.ts";
import type { LiveWatch } from "./watcher.ts";

/** Where the end facts come from. */
export interface SessionEndInputs {
  watch: LiveWatch;
  git: GitStart | null;
  historyFile: string;
  historyOffset: number;
  startedAt: Date;
  exitCode: number;
  log: InternalLog;
}

/**
 * The end of a session (the exit half of the watch, docs/aider-watch.md): reads what aider appended
 * to its chat history and what git says since the start, and emits `file_edit` per changed file,
 * `commit` per commit, any error the terminal hid (the history has more of a kind than the live
 * parser saw), then `session_end` with the totals. Tokens and cost come from the history's
 * `Tokens:` lines (never wrapped or coloured), else from the terminal's.
 */
export async function emitSessionEnd(i: SessionEndInputs): Promise<void> {
  const { watch } = i;
  let history: HistoryFacts | null = null;
  try {
    history = parseHistory(readHistorySince(i.historyFile, i.historyOffset));
  } catch (err) {
    i.log.error("chat history", err);
  }
  let edits: FileEditPayload[] = [];
  try {
    if (i.git) {
      const g = await gitEnd(i.git, history?.appliedFiles ?? []);
      edits = g.edits;
      for (const c of g.commits) watch.emit("commit", c);
    }
  } catch (err) {
    i.log.error("git facts", err);
  }
  if (history) edits = withHistoryOnly(edits, history);
  for (const e of edits) watch.emit("file_edit", e);

  if (history) {
    const seen = new Map<string, number>();
    for (const e of watch.parser.errors) seen.set(e.kind, (seen.get(e.kind) ?? 0) + 1);
    for (const e of history.errors) {
      const n = seen.get(e.kind) ?? 0;
      if (n > 0) seen.set(e.kind, n - 1);
      else {
        watch.errorCount++;
        watch.emit("error", { kind: e.kind, message: e.message, context_50chars: "" });
      }
    }
  }

  const tokens = history && history.tokens.lines > 0 ? history.tokens : watch.parser.tokens;
  const ended = new Date();
  watch.emit(
    "session_end",
    {
      duration_sec: Math.round((ended.getTime() - i.startedAt.getTime()) / 1000),
      tokens_sent: tokens.sent,
      tokens_received: tokens.received,
      cost_usd: tokens.costSession ?? 0,
      files_changed: edits.length,
      error_count: watch.errorCount,
      exit_code: i.exitCode,
    },
    ended,
  );
}

/**
 * Files aider says it edited that git does not show (outside a repository, ignored files):
 * counted from the history's SEARCH/REPLACE blocks.
 */
function withHistoryOnly(edits: FileEditPayload[], h: HistoryFacts): FileEditPayload[] {
  const have = new Set(edits.map((e) => e.path));
  const out = [...edits];
  for (const path of h.appliedFiles) {
    if (have.has(path)) continue;
    const b = h.blocks.get(path) ?? { added: 0, deleted: 0 };
    out.push({
      path,
      lines_added: b.added,
      lines_deleted: b.deleted,
      diff_head: "",
      is_new_file: false,
    });
  }
  return out;
}

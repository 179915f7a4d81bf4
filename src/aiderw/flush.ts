import {
  appendRejected,
  bufferStats,
  claimFile,
  flushableFiles,
  readJsonl,
  releaseFile,
  removeFile,
  writePending,
} from "./buffer.ts";
import { deliver, type Target } from "./sender.ts";

/** What a flush did. */
export interface FlushResult {
  files: number;
  sent: number;
  rejected: number;
  /** Events still in the buffer afterwards (not taken this time). */
  left: number;
  /** Why some were left (first failure), or null. */
  failure: string | null;
  failureStatus: number | null;
}

/**
 * `aider-watch flush`: sends the buffer, oldest file first, and removes
 * only what the server accepted. Each file is claimed before it is read (atomic rename), so
 * flushes running at the same time split the files between them and never send one twice;
 * what is not taken is written back as a new pending file before the claimed one is
 * removed (a crash in between re-sends, and the server's idempotency by event id makes
 * that harmless). It stops at the first failure (server down, token refused). Events the
 * server refuses as bad (400) go to `rejected.jsonl` with its reason, as do unreadable lines.
 */
export async function flushBuffer(
  home: string,
  target: Target,
  timeoutMs = 10_000,
): Promise<FlushResult> {
  const result: FlushResult = {
    files: 0,
    sent: 0,
    rejected: 0,
    left: 0,
    failure: null,
    failureStatus: null,
  };
  for (const name of flushableFiles(home)) {
    if (result.failure) break;
    const file = claimFile(home, name);
    if (!file) continue;
    result.files++;
    const { events, bad } = readJsonl(file);
    appendRejected(
      home,
      bad.map((line) => ({ event: line.slice(0, 10_000), error: "unreadable buffer line" })),
    );
    result.rejected += bad.length;
    const r = await deliver(target, events, timeoutMs);
    result.sent += r.accepted.length;
    result.rejected += r.rejected.length;
    appendRejected(home, r.rejected);
    if (r.failure) {
      result.failure = r.failure;
      result.failureStatus = r.failureStatus;
    }
    if (r.pending.length === events.length && !bad.length) {
      releaseFile(file); // nothing taken: back under its own name, its place in line kept
      continue;
    }
    writePending(home, r.pending);
    removeFile(file);
  }
  result.left = bufferStats(home).events;
  return result;
}

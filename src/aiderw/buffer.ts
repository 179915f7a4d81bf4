import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { processAlive } from "../process-alive.ts";
import { newId, type WatchEvent } from "./events.ts";

/**
 * The JSONL buffer under `AIDERW_HOME/buffer/`: events the
 * server did not take, kept until `aider-watch flush` delivers them. Files, by state:
 * - `open-<pid>-<session>.jsonl`: a running aiderw appends here (never flushed while that
 *   pid lives);
 * - `pending-<ulid>.jsonl`: sealed, ready to flush (written whole, then renamed into place);
 * - `sending-<pid>-<name>`: claimed by one flusher by an atomic rename, so two flushers
 *   never send the same file; a claim whose pid died goes back to the pool.
 * Events the server refused as bad go to `AIDERW_HOME/rejected.jsonl`, never retried.
 */

/** The buffer directory. */
export const bufferDir = (home: string) => join(home, "buffer");
/** The rejected-events file. */
export const rejectedPath = (home: string) => join(home, "rejected.jsonl");

/** One JSON document per line, each line ended. */
const jsonl = (items: readonly unknown[]): string =>
  items.map((x) => `${JSON.stringify(x)}\n`).join("");

/** Appends a running session's unsent events; `seal` makes them flushable. */
export class SessionBuffer {
  private readonly path: string;
  private written = 0;

  constructor(
    private readonly home: string,
    sessionId: string,
  ) {
    this.path = join(bufferDir(home), `open-${process.pid}-${sessionId}.jsonl`);
  }

  /** Events appended so far. */
  get count(): number {
    return this.written;
  }

  /** Appends events (synchronously: they are on disk when this returns). */
  append(events: WatchEvent[]): void {
    if (!events.length) return;
    mkdirSync(bufferDir(this.home), { recursive: true });
    appendFileSync(this.path, jsonl(events));
    this.written += events.length;
  }

  /** Renames the session's file to `pending-…` (no-op when nothing was buffered). */
  seal(): void {
    if (!this.written) return;
    renameSync(this.path, join(bufferDir(this.home), `pending-${newId()}.jsonl`));
  }
}

/** Writes `events` as a new pending file (temp file, then rename: never seen half-written). */
export function writePending(home: string, events: WatchEvent[]): void {
  if (!events.length) return;
  const dir = bufferDir(home);
  mkdirSync(dir, { recursive: true });
  const id = newId();
  const tmp = join(dir, `.tmp-${process.pid}-${id}`);
  writeFileSync(tmp, jsonl(events));
  renameSync(tmp, join(dir, `pending-${id}.jsonl`));
}

/** Appends refused events with why, for a person to look at (`aider-watch doctor` counts them). */
export function appendRejected(home: string, items: Array<{ event: unknown; error: string }>) {
  if (!items.length) return;
  mkdirSync(home, { recursive: true });
  const at = new Date().toISOString();
  appendFileSync(
    rejectedPath(home),
    jsonl(items.map((i) => ({ rejected_at: at, error: i.error, event: i.event }))),
  );
}

/** A claim older than this is taken back even if its pid looks alive (pid reuse). */
const STALE_CLAIM_MS = 30 * 60 * 1000;

/** Whether a buffer file may be flushed now, and by its state. */
function flushable(dir: string, name: string): boolean {
  if (/^pending-.*\.jsonl$/.test(name)) return true;
  const m = /^(open|sending)-(\d+)-/.exec(name);
  if (!m) return false;
  if (!processAlive(Number(m[2]))) return true;
  if (m[1] === "open") return false;
  try {
    return Date.now() - statSync(join(dir, name)).mtimeMs > STALE_CLAIM_MS;
  } catch {
    return false;
  }
}

/** Names of the buffer files that may be flushed now, oldest first. */
export function flushableFiles(home: string): string[] {
  const dir = bufferDir(home);
  try {
    return readdirSync(dir)
      .filter((n) => flushable(dir, n))
      .sort(byAge);
  } catch {
    return [];
  }
}

/**
 * Claims one buffer file for this process by renaming it to `sending-<our pid>-<name>`;
 * null when another flusher took it first.
 */
export function claimFile(home: string, name: string): string | null {
  const dir = bufferDir(home);
  const base = name.replace(/^(?:sending-\d+-)+/, "");
  const to = join(dir, `sending-${process.pid}-${base}`);
  try {
    renameSync(join(dir, name), to);
    return to;
  } catch {
    return null;
  }
}

/** Gives a claimed file back to the pool under its original name. */
export function releaseFile(claimed: string): void {
  const name = basename(claimed).replace(/^(?:sending-\d+-)+/, "");
  try {
    renameSync(claimed, join(dirname(claimed), name));
  } catch {
    /* left claimed: taken back once this pid is gone */
  }
}

/** Buffer file names sort by the ULID or session id they carry, which starts with time. */
function byAge(a: string, b: string): number {
  const key = (n: string) => n.replace(/^(?:sending-\d+-)*(?:open-\d+-|pending-)/, "");
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/** Events in a JSONL file; lines that are not an event are returned as `bad` (raw text). */
export function readJsonl(path: string): { events: WatchEvent[]; bad: string[] } {
  const events: WatchEvent[] = [];
  const bad: string[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as WatchEvent;
      if (e && typeof e === "object" && typeof e.id === "string") events.push(e);
      else bad.push(line);
    } catch {
      bad.push(line);
    }
  }
  return { events, bad };
}

/** Removes a file; a missing one is fine. */
export function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/** What is waiting in the buffer. */
export interface BufferStats {
  files: number;
  events: number;
  /** `ts` of the oldest buffered event, or null. */
  oldest: string | null;
  /** Files of running sessions (not flushable yet). */
  open: number;
  rejected: number;
}

/** Counts the buffer and the rejected file (reads them; they are small). */
export function bufferStats(home: string): BufferStats {
  const dir = bufferDir(home);
  const stats: BufferStats = { files: 0, events: 0, oldest: null, open: 0, rejected: 0 };
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".jsonl") || n.startsWith("sending-"));
  } catch {
    /* no buffer yet */
  }
  for (const name of names) {
    let events: WatchEvent[];
    try {
      events = readJsonl(join(dir, name)).events;
    } catch {
      continue;
    }
    stats.files++;
    if (name.startsWith("open-") && !flushable(dir, name)) stats.open++;
    stats.events += events.length;
    for (const e of events) {
      if (
        typeof e.ts === "string" &&
        (stats.oldest === null || Date.parse(e.ts) < Date.parse(stats.oldest))
      ) {
        stats.oldest = e.ts;
      }
    }
  }
  try {
    stats.rejected = readFileSync(rejectedPath(home), "utf8").split("\n").filter(Boolean).length;
  } catch {
    /* none */
  }
  return stats;
}

import { appendFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { decodeTime } from "ulid";
import { ULID_RE, type WatchEvent } from "./events.ts";
import { redactText } from "./redact.ts";

/**
 * Every session's own JSONL file, `AIDERW_HOME/sessions/YYYY/MM/DD/<session_id>.jsonl`
 * (local date of its start): the source of truth (docs/aider-watch.md, Delivery). Each event
 * is appended, already redacted, as it is made, whatever the server does; `aider-watch
 * replay` re-sends one from here.
 */

const pad = (n: number) => String(n).padStart(2, "0");

/** The session file's path for a session started at `startedAt`. */
export function sessionLogPath(home: string, sessionId: string, startedAt: Date): string {
  const d = startedAt;
  return join(
    home,
    "sessions",
    String(d.getFullYear()),
    pad(d.getMonth() + 1),
    pad(d.getDate()),
    `${sessionId}.jsonl`,
  );
}

/** Appends events to one session's file. */
export class SessionLog {
  private ready = false;

  constructor(readonly path: string) {}

  /** Appends one event (synchronously). */
  append(e: WatchEvent): void {
    if (!this.ready) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.ready = true;
    }
    appendFileSync(this.path, `${JSON.stringify(e)}\n`);
  }
}

/**
 * Finds a session's file: first on the day its ULID was made (and the days around it, for
 * a time zone change), then anywhere under `sessions/`. Null when there is none or the id
 * is not a ULID (it becomes part of a path).
 */
export function findSessionLog(home: string, sessionId: string): string | null {
  if (!ULID_RE.test(sessionId)) return null;
  const t = decodeTime(sessionId);
  for (const dayMs of [0, -86_400_000, 86_400_000]) {
    const p = sessionLogPath(home, sessionId, new Date(t + dayMs));
    if (existsSync(p)) return p;
  }
  return walk(join(home, "sessions"), `${sessionId}.jsonl`, 3);
}

function walk(dir: string, name: string, depth: number): string | null {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return null;
  }
  if (depth === 0) return entries.includes(name) ? join(dir, name) : null;
  for (const e of entries) {
    const found = walk(join(dir, e), name, depth - 1);
    if (found) return found;
  }
  return null;
}

/**
 * aiderw's own log, `AIDERW_HOME/aiderw.log`: every internal failure of the wrapper lands
 * here (never on the terminal, which belongs to aider). Redacted; rotated at 1 MiB to
 * `aiderw.log.1`. Never throws.
 */
export class InternalLog {
  private readonly path: string;

  constructor(home: string) {
    this.path = join(home, "aiderw.log");
  }

  /** Logs a failure with its error. */
  error(what: string, err?: unknown): void {
    this.write("error", err === undefined ? what : `${what}: ${describe(err)}`);
  }

  /** Logs a notable fact (a fallback taken, events buffered). */
  info(what: string): void {
    this.write("info", what);
  }

  private write(level: string, msg: string): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      try {
        if (statSync(this.path).size > 1024 * 1024) renameSync(this.path, `${this.path}.1`);
      } catch {
        /* no log yet */
      }
      const line = `${new Date().toISOString()} ${level} pid=${process.pid} ${redactText(msg)}\n`;
      appendFileSync(this.path, line);
    } catch {
      /* nowhere left to report to */
    }
  }
}

/** `Name: message` and the first frames of the stack (where the watch broke). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const frames = (err.stack ?? "")
    .split("\n")
    .slice(1, 4)
    .map((l) => l.trim());
  return [`${err.name}: ${err.message}`, ...frames].join(" | ");
}

import { monotonicFactory } from "../ids.ts";

/**
 * The events `aiderw` emits (contract: docs/aider-watch.md), in the shape
 * `POST /api/aider/events` takes: `{ id, ts, session_id, type, payload }`. `id` is a ULID
 * unique per event, so a re-send (buffer flush, replay) is a no-op on the server; `ts` is
 * ISO-8601 with the local offset (`2026-04-19T22:05:33.120+08:00`).
 */

/** `session_start`: from aider's banner (`Aider v0.86.2`, `Main model: … with diff edit format`). */
export interface SessionStartPayload {
  cwd: string;
  model: string | null;
  /** Exactly the arguments aiderw was given, values of key-like options redacted. */
  aider_args: string[];
  aider_pid: number | null;
  cli_version: string | null;
  host: string;
}

/** `file_edit`: one file's change since the session started. */
export interface FileEditPayload {
  path: string;
  lines_added: number;
  lines_deleted: number;
  /** The first 3 lines of the file's diff (`@@ …`, `+…`, `-…`), joined by `\n`. */
  diff_head: string;
  is_new_file: boolean;
}

/** Error kinds; what each one matches is in docs/aider-watch.md, Types and payloads. */
export type ErrorKind = "api_rate_limit" | "api_auth" | "build_fail" | "unknown";

/** `error`: one failure seen in aider's output or chat history. */
export interface ErrorPayload {
  kind: ErrorKind;
  /** The error line(s), ANSI-free, at most 500 characters. */
  message: string;
  /** The 50 characters of output just before the error. */
  context_50chars: string;
}

/** `commit`: a commit made during the session (`git log <start>..HEAD`). */
export interface CommitPayload {
  sha: string;
  message: string;
  /** `Name <email>`. */
  author: string;
  files: string[];
}

/** `silent_timeout`: no output for `idle_sec` seconds (once per silence). */
export interface SilentTimeoutPayload {
  idle_sec: number;
  last_output_tail: string;
}

/** `session_end`: totals; tokens and cost from aider's `Tokens: …` lines. */
export interface SessionEndPayload {
  /** Seconds, whole. */
  duration_sec: number;
  tokens_sent: number;
  tokens_received: number;
  /** USD, aider's cumulative `$… session` figure. */
  cost_usd: number;
  files_changed: number;
  error_count: number;
  /** aider's exit code; 128+n when it died of signal n (what aiderw itself exits with). */
  exit_code: number;
}

/** `raw`: a trimmed, ANSI-free, redacted chunk of output (stored, never shown in the chat). */
export interface RawPayload {
  chunk: string;
}

/** Payload of each event type. */
export interface Payloads {
  session_start: SessionStartPayload;
  file_edit: FileEditPayload;
  error: ErrorPayload;
  commit: CommitPayload;
  silent_timeout: SilentTimeoutPayload;
  session_end: SessionEndPayload;
  raw: RawPayload;
}

/** An event type. */
export type EventType = keyof Payloads;

/** One event as sent and as written to the JSONL files. */
export type WatchEvent = {
  [K in EventType]: { id: string; ts: string; session_id: string; type: K; payload: Payloads[K] };
}[EventType];

const nextUlid = monotonicFactory();

/** A new ULID (monotonic within this process). */
export function newId(now = Date.now()): string {
  return nextUlid(now);
}

/** Builds an event stamped `at` (default now). */
export function makeEvent<K extends EventType>(
  sessionId: string,
  type: K,
  payload: Payloads[K],
  at: Date = new Date(),
): WatchEvent {
  return {
    id: newId(at.getTime()),
    ts: isoWithOffset(at),
    session_id: sessionId,
    type,
    payload,
  } as WatchEvent;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/**
 * `2026-04-19T22:05:33.120+08:00`: local time with its offset, so a reader sees the
 * developer's wall clock and events still order across zones.
 */
export function isoWithOffset(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const abs = Math.abs(off);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** Crockford base32 ULID: what session ids look like (checked before a path is built from one). */
export const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

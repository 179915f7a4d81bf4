import type { ViewLimits } from "./aider-queries.ts";

/** Outbox subject of a session's message: every later edit finds it by this. */
export const sessionSubject = (sessionId: string): string => `aider:${sessionId}`;

/** How many items of each list a session message shows; the rest are "+N more". */
export const SESSION_VIEW_LIMITS: ViewLimits = { files: 10, commits: 5, errors: 5, silences: 3 };

/** `950`, `1.4k`, `12k`, `12.4k`, `1.25M`: tokens written the way aider prints them. */
export function compactCount(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${trim(n / 1000, 1)}k`;
  return `${trim(n / 1_000_000, 2)}M`;
}

const trim = (x: number, digits: number) => String(Number(x.toFixed(digits)));

/** `45s`, `5m32s`, `1h05m`, as in the summary line's `⏱️ 5m32s`. */
export function clockDuration(totalSec: number): string {
  const s = Math.max(0, Math.round(totalSec));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** USD like aider prints it: `$0.0031`, `$1.25`. */
export function cost(usd: number): string {
  return `$${usd < 1 ? Number(usd.toFixed(4)).toString() : usd.toFixed(2)}`;
}

/** `1 file`, `2 files`. */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

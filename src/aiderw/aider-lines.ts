import type { ErrorKind } from "./events.ts";

/**
 * Recognisers for single lines of aider's output (aider 0.86; formats in
 * test/fixtures/aider/, from aider's `base_coder.py`, `exceptions.py` and `utils.py`).
 * Shared by the live output parser and the chat-history reader; each takes one plain line
 * (ANSI-free, without the history's `> ` prefix or its two trailing spaces).
 */

/** `Aider v0.86.2` → `0.86.2`. */
export function parseVersion(line: string): string | null {
  return /^Aider v(\d+\.\d+[\w.+-]*)/.exec(line.trim())?.[1] ?? null;
}

/**
 * `Main model: openrouter/x with diff edit format` (aider ≥ 0.50) or the older
 * `Model: gpt-4 with diff edit format` → the model name.
 */
export function parseModel(line: string): string | null {
  return /^(?:Main model|Model):\s+(\S+)/.exec(line.trim())?.[1] ?? null;
}

/** aider's `format_tokens`: `96`, `1.4k`, `12k`; `M` accepted too. Tokens, whole. */
export function parseCount(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
  if (!m) return 0;
  const mult = m[2] === "k" || m[2] === "K" ? 1e3 : m[2] === "m" || m[2] === "M" ? 1e6 : 1;
  return Math.round(Number(m[1]) * mult);
}

/** One `Tokens:` line: this message's tokens, and the cost figures when the model has prices. */
export interface TokenLine {
  sent: number;
  received: number;
  /** USD for this message, null when aider printed no cost. */
  costMessage: number | null;
  /** USD so far in the session (cumulative), null when aider printed no cost. */
  costSession: number | null;
}

const TOKENS_RE =
  /^Tokens:\s+([\d.]+[kKmM]?)\s+sent(?:,\s+[\d.]+[kKmM]?\s+cache\s+(?:write|hit))*,\s+([\d.]+[kKmM]?)\s+received\.(?:\s+Cost:\s+\$([\d.]+)\s+message,\s+\$([\d.]+)\s+session\.)?/;

/**
 * `Tokens: 12k sent, 1.4k received. Cost: $0.0031 message, $0.0031 session.` (also with
 * `, 2.1k cache write` / `, 3.2k cache hit`, or without the `Cost:` part). aider prints one
 * per LLM reply and resets its per-message counters after it, so a session's tokens are the
 * sum of its lines and its cost is the last line's `session` figure.
 */
export function parseTokens(line: string): TokenLine | null {
  const m = TOKENS_RE.exec(line.trim());
  if (!m) return null;
  return {
    sent: parseCount(m[1] ?? ""),
    received: parseCount(m[2] ?? ""),
    costMessage: m[3] === undefined ? null : Number(m[3]),
    costSession: m[4] === undefined ? null : Number(m[4]),
  };
}

/** Token totals of the `Tokens:` lines seen so far. */
export interface TokenTotals {
  sent: number;
  received: number;
  /** aider's cumulative `$… session` figure of the last line, USD; null before any. */
  costSession: number | null;
  /** How many `Tokens:` lines were summed. */
  lines: number;
}

/** Adds `Tokens:` line `t` to `totals`: tokens summed, the cost is the latest session figure. */
export function addTokens(totals: TokenTotals, t: TokenLine): void {
  totals.sent += t.sent;
  totals.received += t.received;
  if (t.costSession !== null) totals.costSession = t.costSession;
  totals.lines++;
}

/** `Commit 9e4b2f1 fix: …` → sha and subject. */
export function parseCommitLine(line: string): { sha: string; message: string } | null {
  const m = /^Commit ([0-9a-f]{7,64}) (.*)$/.exec(line.trim());
  return m ? { sha: m[1] ?? "", message: m[2] ?? "" } : null;
}

/** `Applied edit to routes/auth.py` → the path (relative to the repository root). */
export function parseAppliedEdit(line: string): string | null {
  return /^Applied edit to (.+)$/.exec(line.trim())?.[1] ?? null;
}

/** How an error line was recognised: an exception line starts a new error; a description
 * (aider's friendly sentence after it) only when no error of its kind was just seen. */
export interface ErrorMatch {
  kind: ErrorKind;
  strength: "exception" | "description";
}

/** Lines after an error of the same kind within which aider's description belongs to it. */
const DESCRIPTION_WINDOW = 6;

/**
 * Whether error `m`, found at line `lineNo`, is a new error; `last` (the line of the latest
 * error per kind) is updated. A description within {@link DESCRIPTION_WINDOW} lines of an
 * error of its kind explains that error and is not counted again.
 */
export function isNewError(m: ErrorMatch, lineNo: number, last: Map<ErrorKind, number>): boolean {
  const prev = last.get(m.kind);
  last.set(m.kind, lineNo);
  const explains = prev !== undefined && lineNo - prev <= DESCRIPTION_WINDOW;
  return !(m.strength === "description" && explains);
}

const EXCEPTION_RE = /^(?:litellm\.)?([A-Z]\w*(?:Error|Exception)|Timeout)\b\s*[:(]/;
const RATE_NAMES = new Set(["RateLimitError", "RouterRateLimitError"]);
const AUTH_NAMES = new Set(["AuthenticationError", "PermissionDeniedError"]);

/** aider's descriptions (exceptions.py `ExInfo`) and prompts that mean a failure. */
const DESCRIPTIONS: Array<[RegExp, ErrorKind]> = [
  [/^The API provider has rate limited you\b/, "api_rate_limit"],
  [/^The API provider is not able to authenticate you\b/, "api_auth"],
  [/^Permission was denied\. Check your API key/, "api_auth"],
  [/^The API provider's servers are down or overloaded\b/, "unknown"],
  [/^The API provider timed out\b/, "unknown"],
  [/^Insufficient credits with the API provider\b/, "unknown"],
  [/^OpenRouter or the upstream API provider is down\b/, "unknown"],
];

/** aider's questions after a failed lint or test run (base_coder.py, commands.py). */
const BUILD_FAIL_RE = /^(?:Attempt to fix (?:lint|test) errors\?|Fix lint errors in .+\?)/;

/**
 * Classifies one line of aider's output as an error, or null:
 * `RateLimitError` / a 429 → `api_rate_limit`; `AuthenticationError` / a 401 → `api_auth`;
 * aider's "Attempt to fix lint/test errors?" → `build_fail`; other litellm exceptions and a
 * Python traceback → `unknown`. Only aider's own error lines count: an assistant reply that
 * mentions "401" or a commit message that does is not an error.
 */
export function classifyErrorLine(line: string): ErrorMatch | null {
  const t = line.trim();
  if (!t) return null;
  if (BUILD_FAIL_RE.test(t)) return { kind: "build_fail", strength: "exception" };
  const ex = EXCEPTION_RE.exec(t);
  if (ex && isApiException(t, ex[1] ?? "")) {
    const name = ex[1] ?? "";
    const kind: ErrorKind =
      RATE_NAMES.has(name) || /["']?code["']?\s*:\s*429\b|\b429 Too Many Requests/i.test(t)
        ? "api_rate_limit"
        : AUTH_NAMES.has(name) || /["']?code["']?\s*:\s*40[13]\b|\b401 Unauthorized/i.test(t)
          ? "api_auth"
          : "unknown";
    return { kind, strength: "exception" };
  }
  if (/^Traceback \(most recent call last\):/.test(t)) {
    return { kind: "unknown", strength: "exception" };
  }
  for (const [re, kind] of DESCRIPTIONS) {
    if (re.test(t)) return { kind, strength: "description" };
  }
  return null;
}

/** A litellm exception as aider prints it (`litellm.X: X: …`), not any `FooError:` text. */
function isApiException(line: string, name: string): boolean {
  return line.startsWith("litellm.") || RATE_NAMES.has(name) || AUTH_NAMES.has(name);
}

import { readFileSync } from "node:fs";
import { asc, eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import {
  type AiderSessionRow,
  aiderEvents,
  aiderFileTouches,
  aiderSessions,
} from "../../db/schema/index.ts";

/** An aider-watch event as `POST /api/aider/events` takes it. */
export interface WireEvent {
  id: string;
  ts: string;
  session_id: string;
  type: string;
  payload: Record<string, unknown>;
}

/** A fixture from test/fixtures/aider (real aider output). */
export function aiderFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/aider/${name}`, import.meta.url), "utf8");
}

/** `12k` → 12000, `1.4k` → 1400, `950` → 950 (aider's token counts). */
function tokens(s: string): number {
  const m = /^([\d.]+)([kM]?)$/.exec(s);
  if (!m) throw new Error(`not a token count: ${s}`);
  const scale = m[2] === "k" ? 1000 : m[2] === "M" ? 1_000_000 : 1;
  return Math.round(Number(m[1]) * scale);
}

/** What a realistic session's events are built from: values read from stdout-session.txt. */
export function sessionFacts() {
  const out = aiderFixture("stdout-session.txt");
  const pick = (re: RegExp) => re.exec(out) ?? assertFail(re);
  const usage = pick(
    /Tokens: ([\d.]+[kM]?) sent, ([\d.]+[kM]?) received\. Cost: .*\$([\d.]+) session/,
  );
  const commit = pick(/^Commit ([0-9a-f]+) (.+)$/m);
  return {
    stdout: out,
    version: pick(/^Aider v(\S+)/m)[1] as string,
    model: pick(/^Main model: (\S+)/m)[1] as string,
    rateLimit: pick(/^(litellm\.RateLimitError: .+)$/m)[1] as string,
    tokensSent: tokens(usage[1] as string),
    tokensReceived: tokens(usage[2] as string),
    costUsd: Number(usage[3]),
    sha: commit[1] as string,
    commitMessage: commit[2] as string,
    files: [...out.matchAll(/^Applied edit to (.+)$/gm)].map((m) => m[1] as string),
  };
}

function assertFail(re: RegExp): never {
  throw new Error(`fixture stdout-session.txt lacks ${re}`);
}

/**
 * The events `aiderw` sends for the fixture session (stdout-session.txt, chat-history.md:
 * started 2026-04-19 22:05:33 +08:00, 5m32s): session_start, error api_rate_limit,
 * silent_timeout, two file_edit, commit, raw, session_end. Ids are `<sessionId>-NN`.
 */
export function fixtureSession(sessionId: string, cwd = "/Users/dev/awoooi"): WireEvent[] {
  const f = sessionFacts();
  let n = 0;
  const ev = (ts: string, type: string, payload: Record<string, unknown>): WireEvent => ({
    id: `${sessionId}-${String(++n).padStart(2, "0")}`,
    ts: `2026-04-19T${ts}+08:00`,
    session_id: sessionId,
    type,
    payload,
  });
  const [auth, test] = f.files as [string, string];
  return [
    ev("22:05:33.000", "session_start", {
      cwd,
      model: f.model,
      aider_args: ["--yes-always", "--message", "fix the null auth header crash", auth, test],
      aider_pid: 12345,
      cli_version: f.version,
      host: "ogt-mac",
    }),
    ev("22:05:41.250", "error", {
      kind: "api_rate_limit",
      message: f.rateLimit,
      context_50chars: "Rate limit exceeded: free-models-per-min.",
    }),
    ev("22:08:00.000", "silent_timeout", {
      idle_sec: 120,
      last_output_tail: "Retrying in 0.2 seconds...",
    }),
    ev("22:11:04.000", "file_edit", {
      path: auth,
      lines_added: 4,
      lines_deleted: 1,
      diff_head:
        '@@ def me():\n-    token = request.headers["Authorization"].split(" ")[1]\n+    header = request.headers.get("Authorization")',
      is_new_file: false,
    }),
    ev("22:11:04.000", "file_edit", {
      path: test,
      lines_added: 4,
      lines_deleted: 0,
      diff_head: "@@\n+def test_missing_header_is_401(client):",
      is_new_file: false,
    }),
    ev("22:11:04.500", "commit", {
      sha: f.sha,
      message: f.commitMessage,
      author: "dev <dev@example.com>",
      files: [auth, test],
    }),
    ev("22:11:05.000", "raw", { chunk: f.stdout }),
    ev("22:11:05.000", "session_end", {
      duration_sec: 332,
      tokens_sent: f.tokensSent,
      tokens_received: f.tokensReceived,
      cost_usd: f.costUsd,
      files_changed: 2,
      error_count: 1,
      exit_code: 0,
    }),
  ];
}

/** Lines of the raw output that no other event carries: they must never reach the chat. */
export const RAW_ONLY = ["Repo-map: using 1024 tokens", "Git repo: .git with 214 files"];

/** A deterministic shuffle (so a failure can be replayed). */
export function shuffled<T>(xs: readonly T[], seed = 7): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Session `id`'s summary row as the server stored it, if any. */
export async function storedSession(db: Db, id: string): Promise<AiderSessionRow | undefined> {
  const [row] = await db.select().from(aiderSessions).where(eq(aiderSessions.id, id));
  return row;
}

/** Session `id`'s stored events, in id order. */
export function storedEvents(db: Db, id: string) {
  return db
    .select()
    .from(aiderEvents)
    .where(eq(aiderEvents.sessionId, id))
    .orderBy(asc(aiderEvents.id));
}

/** Session `id`'s stored file touches, by path. */
export function storedTouches(db: Db, id: string) {
  return db
    .select()
    .from(aiderFileTouches)
    .where(eq(aiderFileTouches.sessionId, id))
    .orderBy(asc(aiderFileTouches.path));
}

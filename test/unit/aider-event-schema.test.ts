import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_AIDER_BATCH, parseAiderEvents } from "../../src/aider/aider-event-schema.ts";
import { InputError } from "../../src/errors.ts";

const ev = (type: string, payload: unknown, over: Record<string, unknown> = {}) => ({
  id: `ev-${type}`,
  ts: "2026-04-19T22:05:33.123456+08:00",
  session_id: "01J7XZABCDEF0123456789ABCD",
  type,
  payload,
  ...over,
});

/**
 * One valid payload of each of the seven types (docs/aider-watch.md; values from
 * test/fixtures/aider).
 */
const VALID = {
  session_start: {
    cwd: "/Users/dev/awoooi",
    model: "openrouter/openrouter/elephant-alpha",
    aider_args: ["--yes-always", "routes/auth.py"],
    aider_pid: 12345,
    cli_version: "0.86.2",
  },
  file_edit: {
    path: "routes/auth.py",
    lines_added: 4,
    lines_deleted: 1,
    diff_head: "@@ -1 +1,4 @@",
    is_new_file: false,
  },
  error: { kind: "api_rate_limit", message: "RateLimitError", context_50chars: "free-models" },
  commit: { sha: "9e4b2f1", message: "fix: 401", author: "dev", files: ["routes/auth.py"] },
  silent_timeout: { idle_sec: 120, last_output_tail: "Tokens: 12k sent" },
  session_end: {
    duration_sec: 332,
    tokens_sent: 12000,
    tokens_received: 1400,
    cost_usd: 0.0031,
    files_changed: 2,
    error_count: 1,
    exit_code: 0,
  },
  raw: { chunk: "Aider v0.86.2\n" },
} as const;

/** The field an InputError names, or fails. */
function fieldOf(body: unknown): string | undefined {
  try {
    parseAiderEvents(body);
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    assert.equal(err.statusCode, 400);
    return err.field;
  }
  assert.fail("expected a 400");
}

describe("aider event validation (docs/aider-watch.md contract)", () => {
  it("accepts each of the seven types, alone or as a batch, with microsecond offsets", () => {
    const all = Object.entries(VALID).map(([t, p]) => ev(t, p));
    const parsed = parseAiderEvents(all);
    assert.deepEqual(
      parsed.map((e) => e.type),
      Object.keys(VALID),
    );
    assert.equal(parsed[0]?.ts.toISOString(), "2026-04-19T14:05:33.123Z");
    assert.equal(parsed[0]?.sessionId, "01J7XZABCDEF0123456789ABCD");
    assert.equal(parseAiderEvents(ev("raw", VALID.raw)).length, 1, "a single event");
  });

  it("keeps optional host and fields a newer client adds; allows nulls the banner may lack", () => {
    const [e] = parseAiderEvents(
      ev("session_start", { ...VALID.session_start, host: "ogt-mac", model: null, extra: 1 }),
    );
    assert.equal(e?.type, "session_start");
    assert.deepEqual(e?.payload, {
      ...VALID.session_start,
      host: "ogt-mac",
      model: null,
      extra: 1,
    });
    const [end] = parseAiderEvents(ev("session_end", { ...VALID.session_end, exit_code: null }));
    assert.equal(end?.type === "session_end" && end.payload.exit_code, null);
  });

  it("names the field of the first bad event, with its index in a batch", () => {
    const bad = ev("file_edit", { ...VALID.file_edit, lines_added: -1 });
    assert.equal(fieldOf([ev("raw", VALID.raw), bad]), "1.payload.lines_added");
    assert.equal(fieldOf(bad), "payload.lines_added");
    assert.equal(fieldOf(ev("error", { ...VALID.error, kind: "oops" })), "payload.kind");
    assert.equal(fieldOf(ev("commit", { ...VALID.commit, sha: "xyz" })), "payload.sha");
    assert.equal(
      fieldOf(ev("session_end", { ...VALID.session_end, cost_usd: "0" })),
      "payload.cost_usd",
    );
    assert.equal(fieldOf(ev("session_start", { ...VALID.session_start, cwd: "" })), "payload.cwd");
    assert.equal(fieldOf(ev("file_edit", { path: "a" })), "payload.lines_added");
    assert.equal(fieldOf(ev("telemetry", {})), "type");
    assert.equal(fieldOf(ev("raw", VALID.raw, { ts: "2026-04-19 22:05:33" })), "ts");
    assert.equal(fieldOf(ev("raw", VALID.raw, { id: "" })), "id");
    assert.equal(fieldOf(ev("raw", VALID.raw, { session_id: "a b" })), "session_id");
    assert.equal(fieldOf(ev("raw", "chunk")), "payload");
    assert.equal(fieldOf([ev("raw", VALID.raw), 7]), "1");
    assert.equal(fieldOf("nope"), "body");
  });

  it("refuses an empty batch and one over the cap", () => {
    assert.equal(fieldOf([]), "body");
    const many = Array.from({ length: MAX_AIDER_BATCH + 1 }, (_, i) =>
      ev("raw", VALID.raw, { id: `r${i}` }),
    );
    assert.equal(fieldOf(many), "body");
    assert.equal(parseAiderEvents(many.slice(0, MAX_AIDER_BATCH)).length, MAX_AIDER_BATCH);
  });

  it("replaces NUL characters, which Postgres cannot store, in every payload string", () => {
    const [e] = parseAiderEvents(ev("raw", { chunk: "a\u0000b" }));
    assert.equal(e?.type === "raw" && e.payload.chunk, "a\uFFFDb");
  });
});

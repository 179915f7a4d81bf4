import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  classifyErrorLine,
  parseCount,
  parseModel,
  parseTokens,
  parseVersion,
} from "../../src/aiderw/aider-lines.ts";
import { isoWithOffset } from "../../src/aiderw/events.ts";
import {
  historyPath,
  historySize,
  parseHistory,
  readHistorySince,
} from "../../src/aiderw/history.ts";
import { ptyCommand, shQuote } from "../../src/aiderw/launch.ts";
import { type ErrorFinding, OutputParser } from "../../src/aiderw/output-parser.ts";
import { chunk } from "../../src/aiderw/sender.ts";
import { stripAnsi } from "../../src/aiderw/terminal-text.ts";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "aider");
const fixture = (name: string) => readFileSync(join(FIXTURES, name), "utf8");

/** Feeds `text` to a parser in chunks of `size` (to cut lines and escapes anywhere). */
function parse(text: string, size = text.length, stream: "stdout" | "stderr" = "stdout") {
  const errors: ErrorFinding[] = [];
  const banners: Array<{ version: string | null; model: string | null }> = [];
  const p = new OutputParser({ onError: (e) => errors.push(e), onBanner: (b) => banners.push(b) });
  for (let i = 0; i < text.length; i += size) p.feed(stream, text.slice(i, i + size));
  p.end();
  return { p, errors, banners };
}

describe("aider line formats (aider 0.86)", () => {
  it("reads the banner's version and model, old and new spellings", () => {
    assert.equal(parseVersion("Aider v0.86.2"), "0.86.2");
    assert.equal(parseVersion("Aider v0.86.2.dev12+g1234"), "0.86.2.dev12+g1234");
    assert.equal(
      parseModel("Main model: openrouter/openrouter/elephant-alpha with diff edit format"),
      "openrouter/openrouter/elephant-alpha",
    );
    assert.equal(parseModel("Model: gpt-4-0613 with diff edit format"), "gpt-4-0613");
    assert.equal(parseModel("Weak model: openrouter/openrouter/elephant-alpha"), null);
  });

  it("parses token counts written 96, 1.4k, 12k and 1.2M", () => {
    assert.equal(parseCount("96"), 96);
    assert.equal(parseCount("1.4k"), 1400);
    assert.equal(parseCount("12k"), 12000);
    assert.equal(parseCount("1.2M"), 1_200_000);
    assert.equal(parseCount("junk"), 0);
  });

  it("parses Tokens lines with and without cost and cache figures", () => {
    assert.deepEqual(
      parseTokens("Tokens: 12k sent, 1.4k received. Cost: $0.0031 message, $0.0031 session."),
      { sent: 12000, received: 1400, costMessage: 0.0031, costSession: 0.0031 },
    );
    assert.deepEqual(
      parseTokens(
        "Tokens: 5.6k sent, 2.1k cache write, 3.2k cache hit, 96 received. Cost: $0.02 message, $1.25 session.",
      ),
      { sent: 5600, received: 96, costMessage: 0.02, costSession: 1.25 },
    );
    assert.deepEqual(parseTokens("Tokens: 3.1k sent, 96 received."), {
      sent: 3100,
      received: 96,
      costMessage: null,
      costSession: null,
    });
    assert.equal(parseTokens("Tokens are counted per message"), null);
  });

  it("classifies aider's error lines by kind", () => {
    const kind = (l: string) => classifyErrorLine(l)?.kind ?? null;
    const session = fixture("stdout-session.txt").split("\n");
    const auth = fixture("stdout-auth-error.txt").split("\n");
    assert.equal(kind(session[7] ?? ""), "api_rate_limit");
    assert.equal(kind(auth[5] ?? ""), "api_auth");
    assert.equal(kind("litellm.PermissionDeniedError: PermissionDeniedError: 403"), "api_auth");
    assert.equal(
      kind('litellm.APIError: APIError: OpenrouterException - {"error":{"code":429}}'),
      "api_rate_limit",
    );
    assert.equal(kind("litellm.ServiceUnavailableError: upstream down"), "unknown");
    assert.equal(kind("litellm.Timeout: Connection timed out after 600.0 seconds."), "unknown");
    assert.equal(kind("Traceback (most recent call last):"), "unknown");
    assert.equal(kind("Attempt to fix lint errors? (Y)es/(N)o [Yes]: y"), "build_fail");
    assert.equal(kind("Attempt to fix test errors?"), "build_fail");
    assert.equal(kind("Fix lint errors in routes/auth.py? (Y)es/(N)o [Yes]:"), "build_fail");
  });

  it("does not take replies, commits or code that mention errors for errors", () => {
    for (const l of [
      "Commit 9e4b2f1 fix: return 401 when the Authorization header is missing",
      '    assert client.get("/me").status_code == 401',
      "I'll handle the RateLimitError by retrying with backoff.",
      "raise ValueError: bad input",
      "The handler indexes the header before checking it exists. Guard it and add a test.",
      "Retrying in 0.2 seconds...",
    ]) {
      assert.equal(classifyErrorLine(l), null, l);
    }
  });
});

describe("aiderw output parser", () => {
  it("reads the session fixture: banner, one rate-limit error, tokens and cost", () => {
    const { p, errors, banners } = parse(fixture("stdout-session.txt"));
    assert.deepEqual(banners, [
      { version: "0.86.2", model: "openrouter/openrouter/elephant-alpha" },
    ]);
    assert.equal(errors.length, 1, "aider's description after the exception is the same error");
    assert.equal(errors[0]?.kind, "api_rate_limit");
    assert.match(errors[0]?.message ?? "", /^litellm\.RateLimitError: .*"code":429/);
    assert.equal(errors[0]?.context, "o the chat.\nAdded tests/test_auth.py to the chat.\n");
    assert.deepEqual(p.tokens, { sent: 12000, received: 1400, costSession: 0.0031, lines: 1 });
  });

  it("reads the auth-error fixture as one api_auth error", () => {
    const { errors } = parse(fixture("stdout-auth-error.txt"));
    assert.deepEqual(
      errors.map((e) => e.kind),
      ["api_auth"],
    );
  });

  it("gives the same answer whatever the chunking, under a pty (CRLF, colours)", () => {
    const text = fixture("stdout-session.txt")
      .split("\n")
      .map((l) => (l.startsWith("litellm.") ? `\x1b[1;31m${l}\x1b[0m` : l))
      .join("\r\n");
    for (const size of [1, 3, 7, 64, 4096]) {
      const { p, errors, banners } = parse(text, size);
      assert.equal(banners[0]?.model, "openrouter/openrouter/elephant-alpha", `size ${size}`);
      assert.equal(errors.length, 1, `size ${size}`);
      assert.equal(p.tokens.sent, 12000, `size ${size}`);
    }
  });

  it("counts each retry of a rate limit as its own error", () => {
    const lines = fixture("stdout-session.txt").split("\n").slice(7, 10).join("\n");
    const { errors } = parse(`${lines}\n${lines}\n${lines}\n`);
    assert.equal(errors.length, 3);
  });

  it("sums tokens over replies and keeps the session's cumulative cost", () => {
    const { p } = parse(
      "Tokens: 3.1k sent, 96 received. Cost: $0.01 message, $0.01 session.\n" +
        "Tokens: 12k sent, 1.4k received. Cost: $0.02 message, $0.03 session.\n",
    );
    assert.deepEqual(p.tokens, { sent: 15100, received: 1496, costSession: 0.03, lines: 2 });
  });

  it("reports a lint failure question while it waits for the answer, and only once", () => {
    const errors: ErrorFinding[] = [];
    const p = new OutputParser({ onError: (e) => errors.push(e) });
    p.feed(
      "stdout",
      "## Running: flake8 routes/auth.py\nroutes/auth.py:3:1: F821 undefined name\n",
    );
    p.feed("stdout", "Attempt to fix lint errors? (Y)es/(N)o [Yes]: ");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.kind, "build_fail");
    assert.ok(p.waitingForInput());
    p.feed("stdout", "y\r\n");
    p.end();
    assert.equal(errors.length, 1);
  });

  it("knows when aider waits at its prompt (a silence then is the user's)", () => {
    const p = new OutputParser();
    p.feed("stdout", "Applied edit to x.py\n\x1b[0m\x1b[?2004h\x1b[0;32m> \x1b[0m");
    assert.ok(p.waitingForInput());
    p.feed("stdout", "\r\narchitect> ");
    assert.ok(p.waitingForInput());
    p.feed("stdout", "\nThinking about the change");
    assert.ok(!p.waitingForInput());
  });

  it("keeps the last output for silent_timeout, unfinished line included", () => {
    const p = new OutputParser();
    p.feed("stdout", "line one\nline two\nworking");
    assert.equal(p.lastOutput(20), "one\nline two\nworking");
  });

  it("parses errors on stderr too", () => {
    const { errors } = parse(fixture("stdout-auth-error.txt"), 10, "stderr");
    assert.equal(errors.length, 1);
  });
});

describe("aiderw chat history", () => {
  it("reads both sessions of the fixture: tokens summed, last cost, edits, commits, errors", () => {
    const h = parseHistory(fixture("chat-history.md"));
    assert.equal(h.version, "0.86.2");
    assert.equal(h.model, "openrouter/openrouter/elephant-alpha");
    assert.deepEqual(h.tokens, { sent: 15100, received: 1496, costSession: 0.0031, lines: 2 });
    assert.deepEqual(h.appliedFiles, [
      "services/report.py",
      "routes/auth.py",
      "tests/test_auth.py",
    ]);
    assert.deepEqual(
      h.commits.map((c) => c.sha),
      ["5d1c0aa", "9e4b2f1"],
    );
    assert.deepEqual(
      h.errors.map((e) => e.kind),
      ["api_rate_limit"],
    );
    assert.equal(h.userMessages, 2);
    assert.deepEqual(Object.fromEntries(h.blocks), {
      "services/report.py": { added: 1, deleted: 0 },
      "routes/auth.py": { added: 4, deleted: 1 },
      "tests/test_auth.py": { added: 4, deleted: 0 },
    });
  });

  it("reads only what was appended since the offset, and all of a file that shrank", () => {
    const dir = mkdtempSync(join(tmpdir(), "aiderw-hist-"));
    try {
      const file = join(dir, ".aider.chat.history.md");
      const [first, second] = fixture("chat-history.md").split(
        /(?=\n# aider chat started at 2026-04-19)/,
      );
      writeFileSync(file, first ?? "");
      const offset = historySize(file);
      appendFileSync(file, second ?? "");
      const h = parseHistory(readHistorySince(file, offset));
      assert.deepEqual(h.tokens, { sent: 12000, received: 1400, costSession: 0.0031, lines: 1 });
      assert.deepEqual(h.appliedFiles, ["routes/auth.py", "tests/test_auth.py"]);
      writeFileSync(file, second ?? "");
      assert.equal(parseHistory(readHistorySince(file, offset + 10_000)).commits.length, 1);
      assert.equal(readHistorySince(join(dir, "missing.md"), 0), "");
      assert.equal(historySize(join(dir, "missing.md")), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finds the history file where aider writes it", () => {
    assert.equal(historyPath([], "/r/sub", "/r"), "/r/.aider.chat.history.md");
    assert.equal(historyPath([], "/tmp/x", null), "/tmp/x/.aider.chat.history.md");
    assert.equal(historyPath(["--chat-history-file", "h.md"], "/r/sub", "/r"), "/r/sub/h.md");
    assert.equal(historyPath(["--chat-history-file=/abs/h.md"], "/r", "/r"), "/abs/h.md");
  });
});

describe("aiderw plumbing", () => {
  it("quotes aider's arguments for /bin/sh exactly", () => {
    assert.equal(shQuote("it's"), `'it'\\''s'`);
    assert.equal(
      ptyCommand("aider", ["--message", 'fix $HOME `x` "y"'], "/bin/zsh"),
      `SHELL='/bin/zsh' exec 'aider' '--message' 'fix $HOME \`x\` "y"'`,
    );
    assert.equal(ptyCommand("aider", [], undefined), "unset SHELL; exec 'aider'");
  });

  it("stamps events with the local offset", () => {
    assert.match(isoWithOffset(new Date()), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
  });

  it("strips colours, OSC titles and keypad escapes but keeps the text", () => {
    assert.equal(stripAnsi("\x1b[0;32m> \x1b[0m\x1b]0;aider\x07ok\x1b(B\x1b=!"), "> ok!");
  });

  it("splits a flush into requests of at most 100 events", () => {
    const ev = (i: number) => ({
      id: String(i),
      ts: "2026-04-19T22:05:33.000+08:00",
      session_id: "s",
      type: "raw" as const,
      payload: { chunk: "x".repeat(100) },
    });
    const parts = chunk(Array.from({ length: 250 }, (_, i) => ev(i)));
    assert.deepEqual(
      parts.map((p) => p.length),
      [100, 100, 50],
    );
  });
});

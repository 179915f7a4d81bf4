import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AiderSessionRow } from "../../db/schema/index.ts";
import type { SessionView } from "../../src/aider/aider-queries.ts";
import { clockDuration, compactCount, cost } from "../../src/aider/session-format.ts";
import { renderSessionPage, SESSIONS_PAGE_SIZE } from "../../src/bot/views/session-list.ts";
import { renderSessionMessage } from "../../src/notifications/views/aider-session.ts";
import { MESSAGE_LIMIT } from "../../src/telegram-format.ts";
import { plain } from "../helpers/telegram.ts";

const TZ = "Asia/Taipei";
/** A minute after the ended session's end (22:12:05 in Taipei). */
const NOW = new Date("2026-04-19T14:12:05Z");

function row(over: Partial<AiderSessionRow> = {}): AiderSessionRow {
  return {
    id: "01J7XZABCDEF0123456789ABCD",
    startedAt: new Date("2026-04-19T14:05:33Z"),
    endedAt: null,
    cwd: "/Users/dev/awoooi",
    model: "openrouter/openrouter/elephant-alpha",
    aiderArgs: ["--yes-always"],
    aiderPid: 12345,
    cliVersion: "0.86.2",
    host: "ogt-mac",
    durationSec: null,
    tokensSent: 0,
    tokensRecv: 0,
    costUsd: 0,
    filesChanged: 0,
    errorCount: 0,
    exitCode: null,
    updatedAt: new Date("2026-04-19T14:05:33Z"),
    ...over,
  };
}

const ended = {
  endedAt: new Date("2026-04-19T14:11:05Z"),
  durationSec: 332,
  tokensSent: 12_400,
  tokensRecv: 3_800,
  costUsd: 0,
  filesChanged: 3,
  errorCount: 0,
  exitCode: 0,
};

function view(over: Partial<SessionView> = {}, session = row()): SessionView {
  return {
    session,
    files: { items: [], total: 0 },
    commits: { items: [], total: 0 },
    errors: { items: [], total: 0 },
    silences: { items: [], total: 0 },
    incidents: [],
    ...over,
  };
}

describe("aider session message (pure: view → HTML)", () => {
  it("formats counts, durations and cost compactly (12.4k, 5m32s)", () => {
    assert.deepEqual([950, 1400, 12_000, 12_400, 4200.000000001, 1_250_000].map(compactCount), [
      "950",
      "1.4k",
      "12k",
      "12.4k",
      "4.2k",
      "1.25M",
    ]);
    assert.deepEqual([45, 332, 120, 3900].map(clockDuration), ["45s", "5m32s", "2m00s", "1h05m"]);
    assert.deepEqual([0, 0.0031, 0.12345, 12.3].map(cost), ["$0", "$0.0031", "$0.1235", "$12.30"]);
  });

  it("shows a running session: repo name and path, model, version, pid, host, start", () => {
    const text = plain(renderSessionMessage(view(), NOW, TZ));
    assert.equal(
      text,
      [
        "🚀 aider · awoooi",
        "📁 /Users/dev/awoooi",
        "🤖 openrouter/openrouter/elephant-alpha · aider 0.86.2 · pid 12345 · ogt-mac",
        "🕒 started 22:05 (7m ago) · 01J7XZABCDEF0123456789ABCD",
        "Times in Asia/Taipei",
        "",
        "⏳ running…",
      ].join("\n"),
    );
  });

  it("adds files, commits, errors, silences and, once ended, the session summary", () => {
    const text = plain(
      renderSessionMessage(
        view(
          {
            files: {
              items: [{ path: "apps/api/src/jobs/foo.py", added: 12, deleted: 3, isNew: false }],
              total: 1,
            },
            commits: { items: [{ sha: "abc1234def", message: "fix: handle null auth" }], total: 1 },
            errors: {
              items: [{ kind: "api_rate_limit", message: "OpenRouter 429 on elephant-alpha" }],
              total: 1,
            },
            silences: { items: [{ idleSec: 120, tail: "Tokens: 4.2k sent" }], total: 1 },
          },
          row(ended),
        ),
        NOW,
        TZ,
      ),
    );
    assert.match(text, /^🏁 aider · awoooi\n/);
    for (const s of [
      "✏️ Files (1)\n• apps/api/src/jobs/foo.py (+12 −3)",
      "📌 Commits (1)\n• abc1234 fix: handle null auth",
      "❌ Errors (1)\n• api_rate_limit — OpenRouter 429 on elephant-alpha",
      '⏸️ Silences (1)\n• 2m00s idle (last: "Tokens: 4.2k sent")',
      "🏁 session ended 22:11 (1m ago)\n⏱️ 5m32s | 🎯 exit=0\n📊 12.4k↑ / 3.8k↓ tokens | $0\n📝 3 files changed | ❌ 0 errors",
    ]) {
      assert.ok(text.includes(s), `has ${JSON.stringify(s)} in:\n${text}`);
    }
  });

  it("links the incidents of the session's critical errors by number", () => {
    const text = renderSessionMessage(
      view({ incidents: [{ number: 17, status: "open", kind: "api_auth" }] }),
      NOW,
      "UTC",
    );
    assert.ok(text.includes("🚨 Incident #17 (open) · api_auth"), text);
    assert.ok(!renderSessionMessage(view(), NOW, "UTC").includes("Incident"));
  });

  it("marks a failed or killed session and says when the repo is not known yet", () => {
    const failed = plain(renderSessionMessage(view({}, row({ ...ended, exitCode: 1 })), NOW, TZ));
    assert.match(failed, /^⚠️ aider/);
    assert.match(failed, /🎯 exit=1/);
    const killed = plain(
      renderSessionMessage(view({}, row({ ...ended, exitCode: null })), NOW, TZ),
    );
    assert.match(killed, /🎯 killed/);
    const early = plain(renderSessionMessage(view({}, row({ cwd: null, model: null })), NOW, TZ));
    assert.match(
      early,
      /^🚀 aider · unknown\n📁 repo unknown \(no session_start yet\)\n🤖 model unknown/,
    );
  });

  it("escapes everything that comes from the client", () => {
    const html = renderSessionMessage(
      view(
        {
          files: { items: [{ path: "a<b>&c.py", added: 1, deleted: 0, isNew: true }], total: 1 },
          errors: { items: [{ kind: "unknown", message: "<script>alert(1)</script>" }], total: 1 },
        },
        row({ cwd: "/tmp/<evil>", model: "m&m" }),
      ),
      NOW,
      TZ,
    );
    assert.ok(!html.includes("<evil>") && !html.includes("<script>") && !html.includes("<b>&c"));
    assert.ok(html.includes("a&lt;b&gt;&amp;c.py (+1 −0) (new)"));
    assert.ok(html.includes("<code>m&amp;m</code>"));
  });

  it("caps long lists with +N more and stays within Telegram's limit", () => {
    const files = Array.from({ length: 10 }, (_, i) => ({
      path: `src/${"deep/".repeat(40)}file-${i}.ts`,
      added: i,
      deleted: 0,
      isNew: false,
    }));
    const html = renderSessionMessage(
      view(
        {
          files: { items: files, total: 37 },
          errors: {
            items: Array.from({ length: 5 }, () => ({
              kind: "unknown",
              message: "x".repeat(5000),
            })),
            total: 9,
          },
        },
        row(ended),
      ),
      NOW,
      TZ,
    );
    const text = plain(html);
    assert.match(text, /✏️ Files \(37\)/);
    assert.match(text, / {2}\+27 more/);
    assert.match(text, /❌ Errors \(9\)[\s\S]* {2}\+4 more/);
    assert.ok(html.length <= MESSAGE_LIMIT);
    assert.ok(text.includes("session ended"), "the summary survives");
  });
});

describe("/sessions list page (pure)", () => {
  it("lists sessions newest first with state, a details button each and paging", () => {
    const rows = [
      row({ id: "s-running" }),
      row({ id: "s-done", ...ended, costUsd: 0.0031, filesChanged: 2, errorCount: 1 }),
    ];
    const { text, keyboard } = renderSessionPage({ rows, total: 7, page: 0 }, NOW, TZ);
    const p = plain(text);
    assert.match(p, /^aider sessions \(7; page 1\/2\)\nTimes in Asia\/Taipei\n/);
    assert.match(
      p,
      /1\. awoooi · 22:05 \(7m ago\) · openrouter\/openrouter\/elephant-alpha\n⏳ running/,
    );
    assert.match(p, /2\. awoooi[^\n]*\n🏁 5m32s · exit 0 · 2 files · 1 error · \$0\.0031/);
    assert.deepEqual(
      keyboard[0]?.map((b) => b.text),
      ["ℹ️ 1", "ℹ️ 2"],
    );
    assert.match(keyboard[0]?.[0]?.callback_data ?? "", /^sesd:0:[0-9a-f]{16}$/);
    assert.deepEqual(
      keyboard[1]?.map((b) => [b.text, b.callback_data]),
      [
        ["◀", "sesp:0"],
        ["1/2", "sesp:0"],
        ["▶", "sesp:1"],
      ],
    );
    assert.equal(SESSIONS_PAGE_SIZE, 5);
  });

  it("keeps callback data within 64 bytes whatever the session id", () => {
    const long = row({ id: `01J7XZ_${"très-long-répertoire".repeat(9)}_12345` });
    const { keyboard } = renderSessionPage({ rows: [long], total: 1, page: 999 }, NOW, TZ);
    const data = keyboard.flat().map((b) => b.callback_data);
    assert.ok(
      data.every((d) => Buffer.byteLength(d) <= 64),
      data.join(" "),
    );
  });

  it("says so when there are no sessions", () => {
    assert.equal(
      renderSessionPage({ rows: [], total: 0, page: 0 }, NOW, TZ).text,
      "No aider sessions recorded yet.",
    );
  });
});

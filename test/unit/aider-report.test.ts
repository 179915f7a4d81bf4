import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AiderReportStats, aiderReportLines } from "../../src/aider/aider-report.ts";
import { renderReport } from "../../src/notifications/views/digest.ts";
import { dailyData, weeklyData } from "../fixtures/reports.ts";
import { plain } from "../helpers/telegram.ts";

const day: AiderReportStats = {
  sessions: 3,
  running: 1,
  durationSec: 1005,
  tokensSent: 36_000,
  tokensRecv: 4_200,
  costUsd: 0.0093,
  errors: 5,
  topFiles: [
    { path: "routes/auth.py", touches: 3, added: 12, deleted: 3 },
    { path: "tests/<test>_auth.py", touches: 2, added: 8, deleted: 0 },
  ],
};

describe("aider section of the daily and weekly reports", () => {
  it("gives sessions, total time, tokens, cost, errors and the top files", () => {
    assert.deepEqual(aiderReportLines(day), [
      "3 sessions (1 running) · 16m45s · 36k↑ / 4.2k↓ tokens · $0.0093 · 5 errors",
      "top files",
      "• routes/auth.py ×3 (+12 −3)",
      "• tests/<test>_auth.py ×2 (+8 −0)",
    ]);
  });

  it("says 'no sessions' rather than a row of zeros", () => {
    assert.deepEqual(aiderReportLines({ ...day, sessions: 0, running: 0, topFiles: [] }), [
      "no sessions",
    ]);
  });

  it("renders as an extra section of the report, escaped, in daily and weekly alike", () => {
    const section = { title: "aider sessions", lines: aiderReportLines(day) };
    const daily = renderReport(dailyData({ sections: [section] }));
    assert.match(
      plain(daily),
      /\n\naider sessions\n3 sessions \(1 running\) · 16m45s · 36k↑ \/ 4\.2k↓ tokens · \$0\.0093 · 5 errors\ntop files\n• routes\/auth\.py ×3 \(\+12 −3\)/,
    );
    assert.ok(daily.includes("<b>aider sessions</b>"));
    assert.ok(daily.includes("tests/&lt;test&gt;_auth.py"), "file names are escaped");
    const weekly = weeklyData();
    weekly.current.sections = [section];
    assert.match(plain(renderReport(weekly)), /aider sessions\n3 sessions/);
  });
});

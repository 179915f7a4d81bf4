import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { autonomyPoint } from "../../src/autonomy/autonomy-service.ts";
import { renderReport } from "../../src/notifications/views/digest.ts";
import { alertStats, cooldownStats, incidentStats } from "../../src/reports/report-stats.ts";
import { MESSAGE_LIMIT } from "../../src/telegram-format.ts";
import { DAY, dailyData, dayCore, weeklyData } from "../fixtures/reports.ts";
import { plain } from "../helpers/telegram.ts";

const H = 3_600_000;

describe("report rendering (pure: data → HTML)", () => {
  it("shows every section of a daily report with its numbers", () => {
    const text = plain(renderReport(dailyData()));
    assert.match(text, /^📊 Daily report · 2026-11-23\n24 h to 23:50\nTimes in Asia\/Taipei\n/);
    assert.match(text, /opened 3 · acknowledged 2 · resolved 2 \(1 by hand\)/);
    assert.match(text, /MTTA 12m · MTTR 1h 5m/);
    assert.match(
      text,
      /received 40: notified 10, deduplicated 25, inhibited 2, muted 1, recorded 2/,
    );
    assert.match(text, /Autonomy 87\.5%: 35 of 40 notified events needed no human decision/);
    assert.match(text, /1,234 requests \(12 errors\) · 456,789 tokens · \$1\.23/);
    assert.match(
      text,
      /by backend\n• nv-primary-1: 1,000 req · 400,000 tok · \$1\.00\n• groq-<fallback>: 234 req/,
    );
    assert.match(text, /by agent\n• architect: 900 req/);
    assert.match(text, /Cooldowns: 2 \(nv-primary-1 ×2\)/);
    assert.match(text, /Smoke: 288 runs, 98\.3% ok · 4 warning · 1 critical/);
    assert.match(text, /not ok: outbox backlog 1✖ 0⚠, incidents 0✖ 4⚠/);
    assert.match(text, /Heal plans: not configured \(no heal store\)/);
  });

  it("escapes names from the outside world", () => {
    const html = renderReport(dailyData());
    assert.ok(html.includes("groq-&lt;fallback&gt;"));
    assert.ok(!html.includes("<fallback>"));
  });

  it("says so when there was nothing, instead of showing zeros as if measured", () => {
    const empty = dailyData({
      incidents: {
        opened: 0,
        acknowledged: 0,
        resolved: 0,
        resolvedByHand: 0,
        mttaMs: null,
        mttrMs: null,
      },
      alerts: {
        received: 0,
        byOutcome: { notified: 0, deduplicated: 0, inhibited: 0, muted: 0, recorded: 0 },
      },
      autonomy: autonomyPoint(0, 0),
      usage: { total: { ...dayCore().usage.total, requests: 0 }, byBackend: [], byAgent: [] },
      cooldowns: { count: 0, byBackend: [] },
      smoke: { runs: 0, overall: { ok: 0, warning: 0, critical: 0 }, byCheck: {} },
    });
    const text = plain(renderReport(empty));
    assert.match(text, /MTTA — · MTTR —/);
    assert.match(text, /Autonomy: no notified events/);
    assert.match(text, /Proxy: no requests/);
    assert.match(text, /Cooldowns: none/);
    assert.match(text, /Smoke: no runs/);
  });

  it("adds the change against the week before to a weekly report", () => {
    const text = plain(renderReport(weeklyData()));
    assert.match(
      text,
      /^📈 Weekly report · 2026-11-15 – 2026-11-22\n7 days to 22:00; changes against the 7 days before\nTimes in Asia\/Taipei\n/,
    );
    assert.match(text, /opened 12 \(\+3\) · acknowledged 11 \(\+2\) · resolved 10 \(±0\)/);
    assert.match(text, /MTTA 8m · MTTR 50m \(last week — · 30m\)/);
    assert.match(text, /received 250 \(\+50\)/);
    assert.match(text, /Autonomy 90% \(\+10 pp\)/);
  });

  it("shows heal plans and extra sections once a later module provides them", () => {
    const text = plain(
      renderReport(
        dailyData({
          healPlans: {
            proposed: 4,
            approved: 2,
            rejected: 1,
            expired: 1,
            succeeded: 1,
            reverted: 0,
            failed: 1,
            refused: 0,
          },
          sections: [{ title: "Agents", lines: ["architect: 3 sessions <ok>"] }],
        }),
      ),
    );
    assert.match(
      text,
      /Heal plans: proposed 4 · approved 2 · rejected 1 · succeeded 1 · reverted 0 · failed 1 · refused 0 · expired 1/,
    );
    assert.match(text, /Agents\narchitect: 3 sessions <ok>$/);
  });

  it("stays within Telegram's 4096 characters however many backends there are", () => {
    const many = Array.from({ length: 300 }, (_, i) => ({
      ...dayCore().usage.total,
      key: `backend-with-a-rather-long-name-${i}`,
    }));
    const sections = Array.from({ length: 40 }, (_, i) => ({
      title: `Section ${i}`,
      lines: Array.from({ length: 10 }, () => "x".repeat(60)),
    }));
    const html = renderReport(
      dailyData({ usage: { ...dayCore().usage, byBackend: many, byAgent: many }, sections }),
    );
    assert.ok(html.length <= MESSAGE_LIMIT, `length ${html.length}`);
    assert.match(html, /• \+292 more/);
    assert.match(html, /… cut to fit; see \/usage and \/incidents$/);
  });
});

describe("report statistics (pure)", () => {
  const at = (h: number) => new Date(DAY.from.getTime() + h * H);

  it("counts incident steps by when each happened, and the mean times to acknowledge and resolve", () => {
    const s = incidentStats(
      [
        {
          openedAt: at(1),
          acknowledgedAt: at(1.5),
          resolvedAt: at(3),
          resolvedBy: "Ada (@ada, 1)",
        },
        {
          openedAt: at(-5),
          acknowledgedAt: at(2),
          resolvedAt: at(4),
          resolvedBy: "auto (all alerts resolved)",
        },
        { openedAt: at(20), acknowledgedAt: null, resolvedAt: null, resolvedBy: null },
        { openedAt: at(23), acknowledgedAt: at(25), resolvedAt: null, resolvedBy: null },
      ],
      DAY,
    );
    assert.deepEqual(s, {
      opened: 3,
      acknowledged: 2,
      resolved: 2,
      resolvedByHand: 1,
      mttaMs: Math.round((0.5 * H + 7 * H) / 2),
      mttrMs: Math.round((2 * H + 9 * H) / 2),
    });
  });

  it("fills outcomes without events with zero and sums them as received", () => {
    assert.deepEqual(
      alertStats([
        { outcome: "notified", n: 3 },
        { outcome: "muted", n: 1 },
      ]),
      {
        received: 4,
        byOutcome: { notified: 3, deduplicated: 0, inhibited: 0, muted: 1, recorded: 0 },
      },
    );
  });

  it("computes the autonomy index as the share of notified events no person decided about", () => {
    assert.deepEqual(autonomyPoint(40, 5), { notified: 40, decided: 5, index: 0.875 });
    assert.equal(autonomyPoint(0, 0).index, null);
  });

  it("counts cooldowns that started in the window, most first", () => {
    const s = cooldownStats(
      [
        { backendName: "b", startedAt: at(1) },
        { backendName: "a", startedAt: at(2) },
        { backendName: "a", startedAt: at(3) },
        { backendName: "a", startedAt: at(25) },
      ],
      DAY,
    );
    assert.deepEqual(s, {
      count: 3,
      byBackend: [
        { name: "a", count: 2 },
        { name: "b", count: 1 },
      ],
    });
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AlertRow, MuteRow } from "../../db/schema/index.ts";
import { type DedupWindows, decide, renotifyDue } from "../../src/events/routing.ts";

const NOW = new Date("2026-11-23T01:00:00Z");
const MIN = 60_000;
const windows: DedupWindows = { critical: 10 * MIN, warning: 10 * MIN, info: 10 * MIN };

function alert(over: Partial<AlertRow> = {}): AlertRow {
  return {
    id: "01A",
    fingerprint: "fp",
    source: "alertmanager",
    type: "X",
    severity: "warning",
    status: "firing",
    title: "X",
    summary: "",
    labels: {},
    generatorUrl: null,
    annotations: {},
    externalUrl: null,
    truncatedAlerts: 0,
    startedAt: new Date(NOW.getTime() - 30 * MIN),
    lastEventAt: NOW,
    resolvedAt: null,
    eventCount: 3,
    lastNotifiedAt: new Date(NOW.getTime() - 5 * MIN),
    notifications: 1,
    acknowledgedBy: null,
    acknowledgedAt: null,
    incidentId: null,
    resolvedBy: null,
    muteId: null,
    groupId: null,
    ...over,
  };
}
const mute = { id: "M" } as MuteRow;
const none = { current: undefined, inhibitor: undefined, mute: undefined, now: NOW, windows };

describe("routing decisions (EventRouter)", () => {
  it("lets a resolved event through even when muted or inhibited", () => {
    const current = alert();
    const d = decide(
      { status: "resolved", severity: "warning" },
      { ...none, current, mute, inhibitor: alert({ severity: "critical" }) },
    );
    assert.deepEqual(d, { action: "resolve", alert: current });
    assert.equal(decide({ status: "resolved", severity: "warning" }, none).action, "record");
  });

  it("inhibits only warnings, and before mutes (Alertmanager's pipeline order)", () => {
    const inhibitor = alert({ severity: "critical" });
    assert.equal(
      decide({ status: "firing", severity: "warning" }, { ...none, inhibitor, mute }).action,
      "inhibit",
    );
    assert.equal(
      decide({ status: "firing", severity: "critical" }, { ...none, inhibitor }).action,
      "open",
    );
  });

  it("mutes before dedup, so a muted repeat is not counted", () => {
    assert.equal(
      decide({ status: "firing", severity: "warning" }, { ...none, current: alert(), mute }).action,
      "mute",
    );
  });

  it("counts a repeat inside the window and announces again after it", () => {
    const inside = decide({ status: "firing", severity: "warning" }, { ...none, current: alert() });
    assert.deepEqual(inside, {
      action: "repeat",
      alert: alert(),
      renotify: false,
      raised: false,
    });
    const old = alert({ lastNotifiedAt: new Date(NOW.getTime() - 10 * MIN) });
    const after = decide({ status: "firing", severity: "warning" }, { ...none, current: old });
    assert.equal(after.action === "repeat" && after.renotify, true);
  });

  it("escalates a repeat of higher severity in place; a rise to critical pings once unless acknowledged", () => {
    const toCritical = decide(
      { status: "firing", severity: "critical" },
      { ...none, current: alert() },
    );
    assert.deepEqual(toCritical, {
      action: "repeat",
      alert: alert(),
      renotify: true,
      raised: true,
    });
    const acked = alert({ acknowledgedAt: NOW });
    const quiet = decide({ status: "firing", severity: "critical" }, { ...none, current: acked });
    assert.deepEqual(quiet, { action: "repeat", alert: acked, renotify: false, raised: true });
    const info = alert({ severity: "info" });
    const toWarning = decide({ status: "firing", severity: "warning" }, { ...none, current: info });
    assert.deepEqual(toWarning, { action: "repeat", alert: info, renotify: false, raised: true });
    const crit = alert({ severity: "critical" });
    const lower = decide({ status: "firing", severity: "warning" }, { ...none, current: crit });
    assert.deepEqual(lower, { action: "repeat", alert: crit, renotify: false, raised: false });
  });

  it("uses the window of the alert's severity and never re-announces an acknowledged alert", () => {
    const a = alert({ severity: "critical", lastNotifiedAt: new Date(NOW.getTime() - 20 * MIN) });
    assert.equal(renotifyDue(a, NOW, 30 * MIN), false);
    assert.equal(renotifyDue(a, NOW, 20 * MIN), true);
    assert.equal(renotifyDue({ ...a, acknowledgedAt: NOW }, NOW, MIN), false);
  });

  it("records info and opens an alert for warning and critical", () => {
    assert.equal(decide({ status: "firing", severity: "info" }, none).action, "record");
    assert.equal(decide({ status: "firing", severity: "warning" }, none).action, "open");
  });
});

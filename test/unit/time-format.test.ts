import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { personName } from "../../src/person-name.ts";
import { clockTime, formatSpan, formatWhen, relativeTime } from "../../src/time-format.ts";

describe("time formatting for messages", () => {
  const now = new Date("2026-11-26T10:08:30Z"); // 18:08 in Asia/Taipei
  it("formats durations in one style: 45s, 3m 05s, 2h 05m, 3d 04h", () => {
    assert.equal(formatSpan(45_000), "45s");
    assert.equal(formatSpan(185_000), "3m 05s");
    assert.equal(formatSpan((2 * 60 + 5) * 60_000 + 59_000), "2h 05m");
    assert.equal(formatSpan((3 * 24 + 4) * 3_600_000), "3d 04h");
    assert.equal(formatSpan(-5), "0s");
  });
  it("says when: 18:08 (4m ago), in the zone, the date only on another day", () => {
    const before = new Date(now.getTime() - 4 * 60_000);
    assert.equal(formatWhen(before, now, "Asia/Taipei"), "18:04 (4m ago)");
    assert.equal(relativeTime(new Date(now.getTime() + 12 * 60_000), now), "in 12m");
    assert.equal(relativeTime(now, now), "just now");
    assert.equal(clockTime(new Date("2026-11-25T10:00:00Z"), now, "Asia/Taipei"), "25 Nov 18:00");
    assert.equal(clockTime(new Date("2025-11-25T10:00:00Z"), now, "UTC"), "25 Nov 2025 10:00");
  });
  it("names people by name only", () => {
    assert.equal(personName("Ada (@ada_ops, 424242)"), "Ada");
    assert.equal(personName("Ada Lovelace (424242)"), "Ada Lovelace");
    assert.equal(personName("agent-7"), "agent-7");
    assert.equal(personName("auto (all alerts resolved)"), "auto (all alerts resolved)");
  });
});

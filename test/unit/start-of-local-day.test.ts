import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startOfLocalDay } from "../../src/proxy/stats.ts";

describe("startOfLocalDay", () => {
  it("is local midnight in a zone without daylight saving", () => {
    const d = startOfLocalDay(new Date("2026-11-23T05:30:12.345Z"), "Asia/Taipei");
    assert.equal(d.toISOString(), "2026-11-22T16:00:00.000Z");
  });

  it("reads the offset at midnight after a spring-forward change that day", () => {
    // Berlin: 2026-03-29 02:00 CET → 03:00 CEST; 14:00 CEST is 12:00Z, midnight CET is 23:00Z.
    const d = startOfLocalDay(new Date("2026-03-29T12:00:00.000Z"), "Europe/Berlin");
    assert.equal(d.toISOString(), "2026-03-28T23:00:00.000Z");
  });

  it("reads the offset at midnight after a fall-back change that day", () => {
    // Berlin: 2026-10-25 03:00 CEST → 02:00 CET; midnight CEST is 22:00Z the day before.
    const d = startOfLocalDay(new Date("2026-10-25T20:00:00.000Z"), "Europe/Berlin");
    assert.equal(d.toISOString(), "2026-10-24T22:00:00.000Z");
  });

  it("at midnight itself is that instant", () => {
    const d = startOfLocalDay(new Date("2026-03-28T23:00:00.000Z"), "Europe/Berlin");
    assert.equal(d.toISOString(), "2026-03-28T23:00:00.000Z");
  });

  it("in UTC is the UTC day start", () => {
    const d = startOfLocalDay(new Date("2026-11-23T23:59:59.999Z"), "UTC");
    assert.equal(d.toISOString(), "2026-11-23T00:00:00.000Z");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bucketIndex, dayBuckets, hourBuckets } from "../../src/dashboard/buckets.ts";
import { formatTime } from "../../src/telegram-format.ts";

const HOUR = 3_600_000;

describe("dashboard time buckets", () => {
  it("hours: the last n whole UTC hours, the current one last, labelled in the zone", () => {
    const b = hourBuckets(new Date("2026-11-23T01:35:00Z"), 72, "Asia/Taipei");
    assert.equal(b.startsMs.length, 72);
    assert.equal(b.json.starts.at(-1), "2026-11-23T01:00:00.000Z");
    assert.equal(b.json.labels.at(-1), "11-23 09:00");
    assert.equal(b.from.toISOString(), "2026-11-20T02:00:00.000Z");
    assert.equal(b.to.toISOString(), "2026-11-23T02:00:00.000Z");
    assert.equal(bucketIndex(b, new Date("2026-11-23T01:59:59Z")), 71);
    assert.equal(bucketIndex(b, new Date("2026-11-20T02:00:00Z")), 0);
    assert.equal(bucketIndex(b, new Date("2026-11-20T01:59:59Z")), -1);
    assert.equal(bucketIndex(b, b.to), -1);
  });

  it("days: local midnights of the zone, a daylight-saving day 23 hours long", () => {
    const b = dayBuckets(new Date("2026-03-30T10:00:00Z"), 3, "Europe/Berlin");
    assert.deepEqual(b.json.labels, ["03-28", "03-29", "03-30"]);
    for (const ms of b.startsMs)
      assert.equal(formatTime(new Date(ms), "Europe/Berlin").slice(11), "00:00:00");
    assert.equal(
      (b.startsMs[2] ?? 0) - (b.startsMs[1] ?? 0),
      23 * HOUR,
      "clocks went forward on 03-29",
    );
    assert.equal(b.to.getTime() - (b.startsMs[2] ?? 0), 24 * HOUR);
    assert.equal(bucketIndex(b, new Date("2026-03-29T21:59:59Z")), 1);
    assert.equal(bucketIndex(b, new Date("2026-03-29T22:00:00Z")), 2);
  });

  it("days: a 25-hour day when the clocks go back", () => {
    const b = dayBuckets(new Date("2026-10-26T10:00:00Z"), 3, "Europe/Berlin");
    assert.deepEqual(b.json.labels, ["10-24", "10-25", "10-26"]);
    assert.equal((b.startsMs[2] ?? 0) - (b.startsMs[1] ?? 0), 25 * HOUR);
    assert.equal(b.json.starts[1], "2026-10-24T22:00:00.000Z");
  });
});

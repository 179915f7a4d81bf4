import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeTime } from "ulid";
import { monotonicFactory, ulid } from "../../src/ids.ts";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

describe("ids", () => {
  it("makes ULIDs of the current time, all distinct", () => {
    const before = Date.now();
    const ids = Array.from({ length: 10_000 }, () => ulid());
    const after = Date.now();
    for (const id of ids) assert.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.equal(new Set(ids).size, ids.length);
    const t = decodeTime(ids[0] as string);
    assert.ok(t >= before && t <= after, `time part ${t} within [${before}, ${after}]`);
  });

  it("draws every random character with equal chance", () => {
    const counts = new Map<string, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      for (const c of ulid().slice(10)) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    const expected = (n * 16) / 32; // 10,000 per character; one standard deviation is ~98
    assert.equal(counts.size, 32);
    for (const c of CROCKFORD) {
      const got = counts.get(c) ?? 0;
      assert.ok(Math.abs(got - expected) < 600, `${c}: ${got} (expected about ${expected})`);
    }
  });

  it("monotonic ids increase strictly within one millisecond", () => {
    const next = monotonicFactory();
    const at = Date.parse("2026-11-27T08:00:00Z");
    const ids = Array.from({ length: 1_000 }, () => next(at));
    for (let i = 1; i < ids.length; i++) assert.ok((ids[i] as string) > (ids[i - 1] as string));
    assert.equal(decodeTime(ids[999] as string), at);
  });
});

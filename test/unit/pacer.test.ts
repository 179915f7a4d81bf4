import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createPacer } from "../../src/outbox/pacer.ts";

describe("outbox pacer", () => {
  it("spaces messages to one chat by a second", () => {
    const p = createPacer();
    assert.equal(p.waitFor(1, 10_000), 0);
    p.record(1, 10_000);
    assert.equal(p.waitFor(1, 10_400), 600);
    assert.equal(p.waitFor(1, 11_000), 0);
  });

  it("allows other chats at the global rate of 25 per second", () => {
    const p = createPacer();
    p.record(1, 10_000);
    assert.equal(p.waitFor(2, 10_000), 40);
    assert.equal(p.waitFor(2, 10_040), 0);
  });
});

describe("outbox pacer reservations (concurrent lanes)", () => {
  it("hands concurrent lanes distinct global slots and paces each chat", () => {
    const p = createPacer();
    assert.equal(p.reserve(1, 10_000), 0);
    assert.equal(p.reserve(2, 10_000), 40, "next global slot");
    assert.equal(p.reserve(1, 10_000), 1000, "chat 1 waits for its second");
    assert.deepEqual(p.busyChats(10_500).sort(), [1, 2]);
    assert.equal(p.nextFreeInMs(10_500), 540, "chat 2 frees first");
    assert.deepEqual(p.busyChats(11_041), [1]);
  });
});

describe("outbox pacer for groups (20 per minute)", () => {
  it("sends a burst of 24 to a group with at most 20 in any 60 s", () => {
    const p = createPacer();
    const times: number[] = [];
    for (let i = 0; i < 24; i++) times.push(10_000 + p.reserve(-100, 10_000));
    for (const start of times) {
      const inWindow = times.filter((t) => t >= start && t < start + 60_000).length;
      assert.ok(inWindow <= 20, `window from ${start}: ${inWindow}`);
    }
    assert.equal(times[19], 10_000 + 19_000, "the first 20 one second apart");
    assert.equal(times[20], 10_000 + 60_000, "the 21st when the first is a minute old");
  });

  it("keeps private chats at one per second", () => {
    const p = createPacer();
    const times = Array.from({ length: 24 }, () => 5_000 + p.reserve(7, 5_000));
    assert.equal(times[23], 5_000 + 23 * 1000);
    assert.deepEqual(p.busyChats(5_000), [7]);
  });
});

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

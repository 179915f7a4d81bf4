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

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAuthFailureLimiter } from "../../src/http/auth-limiter.ts";
import { fakeClock } from "../helpers/clock.ts";

describe("auth failure limiter", () => {
  it("holds a client after 10 failures until its minute has passed, others unaffected", () => {
    const clock = fakeClock();
    const limiter = createAuthFailureLimiter({ clock });
    for (let i = 1; i <= 10; i++) assert.equal(limiter.fail("10.0.0.1"), i === 10);
    assert.deepEqual(limiter.check("10.0.0.1"), { allowed: false, retryAfterS: 60 });
    assert.deepEqual(limiter.check("10.0.0.2"), { allowed: true });
    clock.advance(45_000);
    assert.deepEqual(limiter.check("10.0.0.1"), { allowed: false, retryAfterS: 15 });
    clock.advance(15_000);
    assert.deepEqual(limiter.check("10.0.0.1"), { allowed: true }, "a new window");
    assert.equal(limiter.fail("10.0.0.1"), false, "counting starts again");
  });

  it("forgets the oldest client when it remembers too many", () => {
    const limiter = createAuthFailureLimiter({ clock: fakeClock(), maxFailures: 1, maxClients: 2 });
    limiter.fail("a");
    limiter.fail("b");
    limiter.fail("c");
    assert.deepEqual(limiter.check("a"), { allowed: true }, "a was forgotten");
    assert.equal(limiter.check("c").allowed, false);
  });
});

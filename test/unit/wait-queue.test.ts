import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RouteChoice } from "../../src/proxy/router.ts";
import { createWaitQueue, type WaitOutcome } from "../../src/proxy/wait-queue.ts";
import { fakeClock } from "../helpers/clock.ts";

const choice = (name: string) =>
  ({ backend: { name }, nativeModel: "m" }) as unknown as RouteChoice;
const never = new AbortController().signal;

/** A shared pool of free slots the waiters compete for, as RPM tokens are. */
function slots(n = 0) {
  let free = n;
  return {
    add(k: number) {
      free += k;
    },
    acquire: (name: string) => () => {
      if (free === 0) return { retryAtMs: undefined };
      free--;
      return { choice: choice(name) };
    },
  };
}

const nameOf = (o: WaitOutcome) => (o.kind === "acquired" ? o.choice.backend.name : o.kind);

describe("wait queue", () => {
  it("hands freed backends to waiters first come, first served", async () => {
    const q = createWaitQueue({ settings: { maxSize: 10, timeoutMs: 5000 }, clock: fakeClock() });
    const pool = slots();
    const order: string[] = [];
    const waits = ["w1", "w2", "w3"].map((n) =>
      q
        .wait(pool.acquire(n), { signal: never, budgetMs: 5000, retryAtMs: undefined })
        .then((o) => order.push(nameOf(o))),
    );
    assert.equal(q.size, 3);
    pool.add(2);
    q.wake();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, ["w1", "w2"], "two slots, the two oldest go");
    assert.equal(q.size, 1);
    pool.add(1);
    q.wake();
    await Promise.all(waits);
    assert.deepEqual(order, ["w1", "w2", "w3"]);
  });

  it("re-checks by itself when a waiter's backend frees up (cooldown end, token refill)", async () => {
    const clock = fakeClock();
    const q = createWaitQueue({ settings: { maxSize: 10, timeoutMs: 5000 }, clock });
    const freeAt = clock.now().getTime() + 40;
    const acquire = () =>
      clock.now().getTime() >= freeAt ? { choice: choice("b") } : { retryAtMs: freeAt };
    const started = Date.now();
    const waited = q.wait(acquire, { signal: never, budgetMs: 5000, retryAtMs: freeAt });
    setTimeout(() => clock.advance(40), 20);
    assert.equal(nameOf(await waited), "b");
    assert.ok(Date.now() - started < 1000);
  });

  it("times out, refuses when full, lets a disconnected client go, and closes", async () => {
    const seen: string[] = [];
    const q = createWaitQueue({
      settings: { maxSize: 2, timeoutMs: 5000 },
      clock: fakeClock(),
      onWaited: (_s, outcome) => seen.push(outcome),
    });
    const pool = slots();
    const t0 = Date.now();
    const timedOut = q.wait(pool.acquire("t"), {
      signal: never,
      budgetMs: 50,
      retryAtMs: undefined,
    });
    const abort = new AbortController();
    const aborted = q.wait(pool.acquire("a"), {
      signal: abort.signal,
      budgetMs: 5000,
      retryAtMs: undefined,
    });
    assert.equal(
      nameOf(
        await q.wait(pool.acquire("f"), { signal: never, budgetMs: 5000, retryAtMs: undefined }),
      ),
      "full",
    );
    abort.abort();
    assert.equal(nameOf(await aborted), "aborted");
    assert.equal(q.size, 1, "the disconnected client left the queue");
    assert.equal(nameOf(await timedOut), "timeout");
    assert.ok(Date.now() - t0 >= 45);
    assert.equal(
      nameOf(await q.wait(pool.acquire("z"), { signal: never, budgetMs: 0, retryAtMs: undefined })),
      "timeout",
    );
    const last = q.wait(pool.acquire("c"), { signal: never, budgetMs: 5000, retryAtMs: undefined });
    q.close();
    assert.equal(nameOf(await last), "closed");
    assert.equal(
      nameOf(
        await q.wait(pool.acquire("d"), { signal: never, budgetMs: 5000, retryAtMs: undefined }),
      ),
      "closed",
    );
    assert.deepEqual(seen, ["aborted", "timeout", "closed"]);
  });

  it("wakes waiters that are due before a newcomer routes", () => {
    const clock = fakeClock();
    const q = createWaitQueue({ settings: { maxSize: 10, timeoutMs: 60_000 }, clock });
    let calls = 0;
    const at = clock.now().getTime() + 30_000;
    void q.wait(
      () => {
        calls++;
        return clock.now().getTime() >= at ? { choice: choice("x") } : { retryAtMs: at };
      },
      { signal: never, budgetMs: 60_000, retryAtMs: at },
    );
    q.wakeIfDue();
    assert.equal(calls, 0, "nothing is due yet: no re-check");
    clock.advance(30_000);
    q.wakeIfDue();
    assert.equal(calls, 1);
    assert.equal(q.size, 0);
  });
});

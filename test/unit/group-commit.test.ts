import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createGroupCommit } from "../../src/events/group-commit.ts";

/** A run that records each batch it is given and answers `item * 10`, after `gate` opens. */
function recordingRun() {
  const batches: number[][] = [];
  let open: () => void = () => {};
  let gate = new Promise<void>((r) => {
    open = r;
  });
  return {
    batches,
    release() {
      open();
      gate = Promise.resolve();
    },
    run: async (items: number[]) => {
      batches.push(items);
      await gate;
      if (items.includes(-1)) throw new Error("bad item");
      return items.map((i) => i * 10);
    },
  };
}

describe("group commit", () => {
  it("runs a lone call at once and alone", async () => {
    const r = recordingRun();
    r.release();
    const q = createGroupCommit(r.run, { maxItems: 100, concurrency: 1 });
    assert.deepEqual(await q.submit([1, 2]), [10, 20]);
    assert.deepEqual(r.batches, [[1, 2]]);
  });

  it("lets calls that arrive while a run is busy share the next run, each getting its own results", async () => {
    const r = recordingRun();
    const q = createGroupCommit(r.run, { maxItems: 100, concurrency: 1 });
    const first = q.submit([1]);
    await new Promise((done) => setImmediate(done)); // the first run has started
    const rest = [q.submit([2, 3]), q.submit([4]), q.submit([5, 6, 7])];
    r.release();
    assert.deepEqual(await first, [10]);
    assert.deepEqual(await Promise.all(rest), [[20, 30], [40], [50, 60, 70]]);
    assert.deepEqual(r.batches, [[1], [2, 3, 4, 5, 6, 7]]);
  });

  it("groups the calls of one event-loop turn even when the queue was idle", async () => {
    const r = recordingRun();
    r.release();
    const q = createGroupCommit(r.run, { maxItems: 100, concurrency: 1 });
    const answers = await Promise.all([q.submit([1]), q.submit([2]), q.submit([3])]);
    assert.deepEqual(answers, [[10], [20], [30]]);
    assert.deepEqual(r.batches, [[1, 2, 3]]);
  });

  it("takes at most maxItems items per run, never splitting a call, and a larger call alone", async () => {
    const r = recordingRun();
    r.release();
    const q = createGroupCommit(r.run, { maxItems: 3, concurrency: 1 });
    await Promise.all([q.submit([1, 2]), q.submit([3]), q.submit([4, 5]), q.submit([6, 7, 8, 9])]);
    assert.deepEqual(r.batches, [
      [1, 2, 3],
      [4, 5],
      [6, 7, 8, 9],
    ]);
  });

  it("runs up to `concurrency` batches at once", async () => {
    const r = recordingRun();
    const q = createGroupCommit(r.run, { maxItems: 1, concurrency: 2 });
    const all = Promise.all([q.submit([1]), q.submit([2]), q.submit([3])]);
    await new Promise((done) => setImmediate(done));
    assert.deepEqual(r.batches, [[1], [2]], "two runs in flight, the third waits");
    r.release();
    assert.deepEqual(await all, [[10], [20], [30]]);
  });

  it("when a shared run fails, runs each call alone: only the bad call fails", async () => {
    const r = recordingRun();
    r.release();
    const q = createGroupCommit(r.run, { maxItems: 100, concurrency: 1 });
    const settled = await Promise.allSettled([q.submit([1]), q.submit([-1, 2]), q.submit([3])]);
    assert.deepEqual(
      settled.map((s) => (s.status === "fulfilled" ? s.value : (s.reason as Error).message)),
      [[10], "bad item", [30]],
    );
    assert.deepEqual(r.batches, [[1, -1, 2, 3], [1], [-1, 2], [3]]);
  });
});

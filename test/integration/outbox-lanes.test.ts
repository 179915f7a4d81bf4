import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { Database } from "../../db/client.ts";
import { deliveries } from "../../db/schema/index.ts";
import { createMetrics } from "../../src/metrics.ts";
import {
  createOutboxRepository,
  type OutboxRepository,
} from "../../src/outbox/outbox-repository.ts";
import { createOutboxWorker } from "../../src/outbox/outbox-worker.ts";
import { systemClock } from "../../src/types.ts";
import { testDatabases } from "../helpers/db.ts";
import { testLogger } from "../helpers/logger.ts";
import { type RecordingSender, recordingSender, waitFor } from "../helpers/sender.ts";

/** The running worker on the wall clock: real pacing, real lanes. */
for (const kind of testDatabases()) {
  describe(`outbox worker lanes on ${kind.name}`, () => {
    let database: Database;
    let repo: OutboxRepository;
    let sender: RecordingSender;
    const sentAt = new Map<string, number>();
    const startWorker = () => {
      const w = createOutboxWorker({
        repo,
        sender,
        clock: systemClock,
        logger: testLogger,
        metrics: createMetrics(),
        workerId: "lanes",
        maxAttempts: 3,
      });
      w.start();
      return w;
    };
    const enqueue = (chatId: number, text: string) =>
      repo.enqueue({ chatId, text, dedupKey: `${chatId}:${text}` }, systemClock.now());

    before(async () => {
      database = await kind.open();
      repo = createOutboxRepository(database.db);
    });
    after(() => database.close());
    beforeEach(async () => {
      await database.db.delete(deliveries);
      sender = recordingSender();
      const send = sender.send.bind(sender);
      sender.send = async (m) => {
        const id = await send(m);
        sentAt.set(m.text, Date.now());
        return id;
      };
    });

    it("paces a busy chat at one message a second without holding up another chat", async () => {
      for (let i = 0; i < 4; i++) await enqueue(1, `busy ${i}`);
      await enqueue(2, "quiet");
      const w = startWorker();
      try {
        await waitFor(() => sentAt.has("quiet"), 3000, "the quiet chat's message");
        const busySent = [...sentAt.keys()].filter((t) => t.startsWith("busy")).length;
        assert.ok(
          busySent <= 2,
          `quiet chat served while the busy one waits (${busySent} busy sent)`,
        );
        await waitFor(
          () => [0, 1, 2, 3].every((i) => sentAt.has(`busy ${i}`)),
          6000,
          "the busy chat drained",
        );
        const times = [0, 1, 2, 3].map((i) => sentAt.get(`busy ${i}`) as number);
        for (let i = 1; i < times.length; i++) {
          const gap = (times[i] as number) - (times[i - 1] as number);
          assert.ok(gap >= 950, `busy chat paced at 1/s (gap ${gap} ms)`);
        }
      } finally {
        await w.stop();
      }
      assert.equal(sender.messages.length, 5, "each sent once");
    });

    it("releases the rows it claimed but did not send when it stops", async () => {
      for (let i = 0; i < 3; i++) await enqueue(3, `stop ${i}`);
      const w = startWorker();
      await waitFor(() => sentAt.has("stop 0"), 3000, "the first message");
      await w.stop();
      const rows = await database.db.select().from(deliveries);
      const unsent = rows.filter((r) => r.status !== "sent");
      assert.ok(unsent.length >= 1, "stopped before the chat's pace allowed the rest");
      for (const r of unsent) {
        assert.equal(r.status, "pending", "back to pending at once, not waiting for the lease");
        assert.equal(r.lockedBy, null);
      }
    });
  });
}

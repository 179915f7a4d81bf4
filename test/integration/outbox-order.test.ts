import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GrammyError } from "grammy";
import type { Database } from "../../db/client.ts";
import { deliveries } from "../../db/schema/index.ts";
import { createMetrics } from "../../src/metrics.ts";
import {
  createOutboxRepository,
  type OutboxRepository,
} from "../../src/outbox/outbox-repository.ts";
import { createOutboxWorker } from "../../src/outbox/outbox-worker.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";
import { testLogger } from "../helpers/logger.ts";
import { recordingSender } from "../helpers/sender.ts";

const tooMany = () =>
  new GrammyError(
    "x",
    {
      ok: false,
      error_code: 429,
      description: "Too Many Requests: retry after 1",
      parameters: { retry_after: 1 },
    },
    "sendMessage",
    {},
  );

for (const kind of testDatabases()) {
  describe(`outbox per-chat order under 429s on ${kind.name}`, () => {
    let database: Database;
    let repo: OutboxRepository;
    before(async () => {
      database = await kind.open();
      repo = createOutboxRepository(database.db);
    });
    after(() => database.close());

    it("keeps each chat's order when every third send is answered 429", async () => {
      const clock = fakeClock();
      const sender = recordingSender();
      let calls = 0;
      const send = sender.send.bind(sender);
      sender.send = async (m) => {
        calls++;
        if (calls % 3 === 0) throw tooMany();
        return send(m);
      };
      const worker = createOutboxWorker({
        repo,
        sender,
        clock,
        logger: testLogger,
        metrics: createMetrics(),
        workerId: "w",
        maxAttempts: 3,
        leaseMs: 30_000,
        // Pacing runs on the wall clock; this test moves a fake clock.
        pacing: { perChatMs: 0, groupPerMinute: 1000 },
      });
      const chats = [501, -502];
      for (let i = 0; i < 30; i++) {
        for (const chat of chats) {
          await repo.enqueue(
            {
              chatId: chat,
              text: `${chat}:${String(i).padStart(3, "0")}`,
              dedupKey: `o${chat}:${i}`,
            },
            clock.now(),
          );
        }
        clock.advance(10);
      }
      for (let round = 0; round < 400 && sender.messages.length < 60; round++) {
        await worker.drainOnce();
        clock.advance(1100);
      }
      assert.ok(calls % 3 === 0 || calls > 60, "429s were answered along the way");
      for (const chat of chats) {
        const texts = sender.messages.filter((m) => m.chatId === chat).map((m) => m.text);
        const expected = Array.from(
          { length: 30 },
          (_, i) => `${chat}:${String(i).padStart(3, "0")}`,
        );
        assert.deepEqual(texts, expected, `chat ${chat}: each once, in order`);
      }
      const rows = await database.db.select().from(deliveries);
      assert.ok(rows.every((r) => r.status === "sent"));
    });
  });
}

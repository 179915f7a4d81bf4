import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Database } from "../../db/client.ts";
import { createMetrics } from "../../src/metrics.ts";
import {
  createOutboxRepository,
  type OutboxRepository,
} from "../../src/outbox/outbox-repository.ts";
import { createOutboxWorker } from "../../src/outbox/outbox-worker.ts";
import {
  classifySendError,
  createTelegramSender,
  sendTimeoutMs,
  type TelegramSender,
} from "../../src/outbox/telegram-sender.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";
import { testLogger } from "../helpers/logger.ts";
import { waitFor } from "../helpers/sender.ts";

/** A Bot API that takes every call and never answers. */
async function silentBotApi(): Promise<{ url: string; close(): void }> {
  const held: IncomingMessage[] = [];
  const server: Server = createServer((req) => void held.push(req));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe("the outbox's Bot API call", () => {
  it("times out well inside the claim lease", () => {
    assert.equal(sendTimeoutMs(30_000), 10_000, "the default 30 s lease: 10 s");
    assert.equal(sendTimeoutMs(6_000), 2_000);
    assert.equal(sendTimeoutMs(600_000), 10_000, "never grammY's 500 s");
  });

  it("gives up after its timeout when the Bot API does not answer, as unreachable", async () => {
    const api = await silentBotApi();
    try {
      const sender = createTelegramSender({ token: "1:x", apiRoot: api.url, timeoutMs: 300 });
      const t0 = Date.now();
      const err = await sender
        .send({ chatId: 1, text: "hi", keyboard: null, disableNotification: false })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const took = Date.now() - t0;
      assert.ok(took >= 280 && took < 2000, `gave up after ${took} ms`);
      assert.equal(classifySendError(err).kind, "unreachable");
    } finally {
      api.close();
    }
  });
});

for (const kind of testDatabases()) {
  describe(`outbox claims on ${kind.name}`, () => {
    let database: Database;
    let repo: OutboxRepository;
    before(async () => {
      database = await kind.open();
      repo = createOutboxRepository(database.db);
    });
    after(() => database.close());

    it("a late answer never marks a row another worker claimed since; that worker sends it", async () => {
      const clock = fakeClock();
      await repo.enqueue({ chatId: 42, text: "late", dedupKey: "late-answer" }, clock.now());
      let release: (id: number) => void = () => {};
      const answered: string[] = [];
      const slow: TelegramSender = {
        send: () =>
          new Promise<number>((resolve) => {
            release = resolve;
          }),
        edit: async () => {},
      };
      const quick: TelegramSender = {
        send: async () => {
          answered.push("b");
          return 222;
        },
        edit: async () => {},
      };
      const worker = (id: string, sender: TelegramSender) =>
        createOutboxWorker({
          repo,
          sender,
          clock,
          logger: testLogger,
          metrics: createMetrics(),
          workerId: id,
          maxAttempts: 3,
          leaseMs: 30_000,
          sendTimeoutMs: 10_000,
          pacing: { perChatMs: 0 },
        });
      const a = worker("a", slow);
      const first = a.drainOnce(); // a claims and waits for Telegram
      await waitFor(async () => (await repo.get((await rows())[0] as string))?.lockedBy === "a");
      clock.advance(31_000); // a's lease ran out: its call should have ended long ago
      const b = worker("b", quick);
      assert.equal(await b.drainOnce(), 1, "b claims the row");
      release(111); // a's answer arrives at last
      await first;
      const [id] = await rows();
      const row = await repo.get(id as string);
      assert.equal(row?.status, "sent");
      assert.equal(row?.telegramMessageId, 222, "b's send is the one recorded");
      assert.deepEqual(answered, ["b"]);
    });

    it("releases a claimed row whose lease has no room left for a whole call", async () => {
      const clock = fakeClock();
      await repo.enqueue({ chatId: 43, text: "tight", dedupKey: "tight-lease" }, clock.now());
      const calls: string[] = [];
      const w = createOutboxWorker({
        repo,
        sender: {
          send: async () => {
            calls.push("send");
            return 1;
          },
          edit: async () => {},
        },
        clock,
        logger: testLogger,
        metrics: createMetrics(),
        workerId: "tight",
        maxAttempts: 3,
        leaseMs: 5_000,
        sendTimeoutMs: 4_500, // 4.5 s call + 1 s to settle > the 5 s lease
        pacing: { perChatMs: 0 },
      });
      assert.equal(await w.drainOnce(), 1);
      assert.deepEqual(calls, [], "not sent");
      const row = await repo.get((await rows("tight-lease"))[0] as string);
      assert.equal(row?.status, "pending", "back in the queue at once");
      assert.equal(row?.lockedBy, null);
    });

    async function rows(dedupKey = "late-answer"): Promise<string[]> {
      const all = await repo.list({ limit: 50 });
      return all.filter((r) => r.dedupKey === dedupKey).map((r) => r.id);
    }
  });
}

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { GrammyError, HttpError } from "grammy";
import type { Database } from "../../db/client.ts";
import { deliveries } from "../../db/schema/index.ts";
import { createMetrics } from "../../src/metrics.ts";
import {
  createOutboxRepository,
  type OutboxRepository,
} from "../../src/outbox/outbox-repository.ts";
import { createOutboxWorker } from "../../src/outbox/outbox-worker.ts";
import { type FakeClock, fakeClock } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";
import { testLogger } from "../helpers/logger.ts";
import { type RecordingSender, recordingSender } from "../helpers/sender.ts";

const LEASE = 30_000;
const gateway = () =>
  new GrammyError(
    "x",
    { ok: false, error_code: 502, description: "Bad Gateway" },
    "sendMessage",
    {},
  );
const unreachable = () => new HttpError("Network request failed", new Error("ECONNREFUSED"));

for (const kind of testDatabases()) {
  describe(`outbox on ${kind.name}`, () => {
    let database: Database;
    let repo: OutboxRepository;
    let clock: FakeClock;
    let sender: RecordingSender;
    let chat = 0;
    const worker = (id: string, maxAttempts = 3) =>
      createOutboxWorker({
        repo,
        sender,
        clock,
        logger: testLogger,
        metrics: createMetrics(),
        workerId: id,
        maxAttempts,
        leaseMs: LEASE,
        // Pacing runs on the wall clock; these tests move a fake clock (lanes test paces).
        pacing: { perChatMs: 0 },
      });

    before(async () => {
      database = await kind.open();
      repo = createOutboxRepository(database.db);
    });
    after(() => database.close());
    beforeEach(async () => {
      await database.db.delete(deliveries);
      clock = fakeClock();
      sender = recordingSender();
      chat += 1;
    });

    it("ignores a second enqueue with the same dedup key", async () => {
      await repo.enqueue({ chatId: chat, text: "a", dedupKey: "k1" }, clock.now());
      await repo.enqueue({ chatId: chat, text: "b", dedupKey: "k1" }, clock.now());
      await worker("w").drainOnce();
      assert.deepEqual(
        sender.messages.map((m) => m.text),
        ["a"],
      );
      assert.equal(await worker("w").drainOnce(), 0, "nothing left, nothing sent twice");
    });

    it("sends a delivery claimed by a process that died exactly once, after its lease", async () => {
      await repo.enqueue(
        { chatId: chat, text: "survives a crash", dedupKey: "crash" },
        clock.now(),
      );
      const claimed = await repo.claim({
        workerId: "dead-process",
        now: clock.now(),
        leaseMs: LEASE,
        limit: 10,
      });
      assert.equal(claimed.length, 1); // ... and the process dies before sending
      assert.equal(await worker("w2").drainOnce(), 0, "not taken while the lease runs");
      clock.advance(LEASE + 1);
      assert.equal(await worker("w2").drainOnce(), 1);
      clock.advance(LEASE + 1);
      assert.equal(await worker("w3").drainOnce(), 0);
      assert.deepEqual(sender.calls, [`send:${chat}`]);
      assert.equal((await repo.get(claimed[0]?.id as string))?.status, "sent");
    });

    it("honours a 429's retry_after: resent after it, not before", async () => {
      await repo.enqueue({ chatId: chat, text: "slow down", dedupKey: "429" }, clock.now());
      sender.failNext(
        1,
        () =>
          new GrammyError(
            "x",
            {
              ok: false,
              error_code: 429,
              description: "Too Many Requests: retry after 5",
              parameters: { retry_after: 5 },
            },
            "sendMessage",
            {},
          ),
      );
      const w = worker("w");
      await w.drainOnce();
      assert.equal(sender.messages.length, 0);
      clock.advance(4_000);
      assert.equal(await w.drainOnce(), 0, "not before retry_after");
      clock.advance(1_000);
      await w.drainOnce();
      assert.equal(sender.messages.length, 1);
      assert.equal(sender.calls.length, 2, "one refused attempt, one accepted");
    });

    it("backs off on 5xx answers and gives up into dead after the configured attempts", async () => {
      await repo.enqueue({ chatId: chat, text: "unlucky", dedupKey: "dead" }, clock.now());
      sender.failNext(10, () => gateway());
      const w = worker("w", 3);
      for (let i = 0; i < 3; i++) {
        await w.drainOnce();
        clock.advance(10 * 60_000);
      }
      const [row] = await database.db.select().from(deliveries);
      assert.equal(row?.status, "dead");
      assert.equal(row?.attempts, 3);
      assert.match(row?.lastError ?? "", /502/);
      assert.equal((await repo.stats(clock.now())).dead, 1);
    });

    it("holds everything while the Bot API is unreachable, spends no attempts, then sends each once", async () => {
      const chats = [chat, chat + 1000, chat + 2000];
      for (const [i, c] of chats.entries()) {
        await repo.enqueue({ chatId: c, text: `queued ${i}`, dedupKey: `down-${i}` }, clock.now());
      }
      sender.failNext(1, unreachable);
      const w = worker("w", 2);
      assert.equal(await w.drainOnce(), 3);
      assert.equal(sender.messages.length, 0);
      for (let i = 0; i < 5; i++) {
        sender.failNext(1, unreachable); // the outage goes on: probes fail, nothing dies
        clock.advance(61_000);
        await w.drainOnce();
      }
      const rows = await database.db.select().from(deliveries);
      assert.deepEqual(
        rows.map((r) => [r.status, r.attempts]),
        chats.map(() => ["pending", 0]),
        "an outage is not the deliveries' fault",
      );
      clock.advance(61_000);
      await w.drainOnce();
      clock.advance(61_000);
      await w.drainOnce();
      assert.deepEqual(sender.messages.map((m) => m.text).sort(), [
        "queued 0",
        "queued 1",
        "queued 2",
      ]);
      assert.equal(await w.drainOnce(), 0, "nothing left, nothing twice");
    });

    it("follows migrate_to_chat_id and sends later messages to the new chat at once", async () => {
      const newChat = -100_000 - chat;
      await repo.enqueue({ chatId: chat, text: "to a group", dedupKey: "mig-1" }, clock.now());
      sender.failNext(
        1,
        () =>
          new GrammyError(
            "x",
            {
              ok: false,
              error_code: 400,
              description: "Bad Request: group chat was upgraded to a supergroup chat",
              parameters: { migrate_to_chat_id: newChat },
            },
            "sendMessage",
            {},
          ),
      );
      const w = worker("w");
      await w.drainOnce();
      await w.drainOnce();
      await repo.enqueue({ chatId: chat, text: "later", dedupKey: "mig-2" }, clock.now());
      await w.drainOnce();
      assert.deepEqual(
        sender.messages.map((m) => [m.chatId, m.text]),
        [
          [newChat, "to a group"],
          [newChat, "later"],
        ],
      );
    });

    it("puts a permanent error straight into dead", async () => {
      await repo.enqueue({ chatId: chat, text: "blocked", dedupKey: "perm" }, clock.now());
      sender.failNext(
        1,
        () =>
          new GrammyError(
            "x",
            { ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" },
            "sendMessage",
            {},
          ),
      );
      await worker("w").drainOnce();
      const [row] = await database.db.select().from(deliveries);
      assert.equal(row?.status, "dead");
      assert.equal(row?.attempts, 1);
    });

    it("rewrites an unsent message in place and folds edits of a sent one into one", async () => {
      await repo.enqueue(
        { chatId: chat, text: "v1", subject: "alert:X", dedupKey: "edit-me" },
        clock.now(),
      );
      await repo.editSubject("alert:X", "v2", null, clock.now());
      const w = worker("w");
      await w.drainOnce();
      assert.deepEqual(
        sender.messages.map((m) => m.text),
        ["v2"],
        "the pending send carries the newest text",
      );
      await repo.editSubject("alert:X", "v3", null, clock.now());
      await repo.editSubject("alert:X", "v4", null, clock.now());
      const pendingEdits = (await database.db.select().from(deliveries)).filter(
        (d) => d.kind === "edit" && d.status === "pending",
      );
      assert.equal(pendingEdits.length, 1, "edits coalesce");
      await w.drainOnce();
      assert.equal(sender.messages[0]?.text, "v4");
      assert.equal(sender.messages[0]?.edits, 1);
    });

    it("retires a subject: a waiting send is superseded, a sent one loses its buttons", async () => {
      const keyboard = [[{ text: "b", callback_data: "x:1" }]];
      await repo.enqueue(
        { chatId: chat, text: "sent", keyboard, subject: "alert:R", dedupKey: "r1" },
        clock.now(),
      );
      await worker("w").drainOnce();
      await repo.enqueue(
        { chatId: chat + 500, text: "waiting", subject: "alert:R", dedupKey: "r2" },
        clock.now(),
      );
      await repo.retireSubject("alert:R", "alert:R#1", "retired", clock.now());
      await repo.editSubject("alert:R", "only newer messages", null, clock.now());
      await worker("w").drainOnce();
      assert.deepEqual(
        sender.messages.map((m) => [m.text, m.keyboard]),
        [["retired", null]],
        "the waiting send never goes out; the sent one is retired in place",
      );
      const rows = await database.db.select().from(deliveries);
      assert.equal(rows.find((r) => r.dedupKey === "r2")?.status, "superseded");
    });

    it("reports the oldest pending age", async () => {
      await repo.enqueue({ chatId: chat, text: "old", dedupKey: "age" }, clock.now());
      clock.advance(90_000);
      const s = await repo.stats(clock.now());
      assert.equal(s.pending, 1);
      assert.equal(s.oldestPendingMs, 90_000);
    });
  });
}

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { asc, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { deliveries } from "../../db/schema/index.ts";
import { createOutboxWrites } from "../../src/outbox/outbox-writes.ts";
import { queuedIn } from "../../src/outbox/queued-in.ts";
import { testDatabases } from "../helpers/db.ts";

const NOW = new Date("2026-11-27T02:00:00Z");
const kb = (label: string) => [[{ text: label, callback_data: `x:${label}` }]];

for (const kind of testDatabases()) {
  describe(`batched edits of many subjects on ${kind.name}`, () => {
    let database: Database;
    before(async () => {
      database = await kind.open();
    });
    after(() => database.close());

    const rowsOf = (subject: string) =>
      database.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.subject, subject))
        .orderBy(asc(deliveries.id));

    it("rewrites unsent sends, drops them when asked, folds and queues edits of sent ones, and says when the worker must wake", async () => {
      const outbox = createOutboxWrites(database.db);
      const db = database.db;
      // s:a and s:b have one unsent send each; s:c one sent send with a pending edit; s:d one
      // sent send with none; s:e a dead send.
      await db.transaction(async (tx) => {
        await outbox.enqueueMany(
          ["a", "b", "c", "d", "e"].map((k) => ({
            chatId: 7,
            text: `old ${k}`,
            keyboard: kb(k),
            subject: `s:${k}`,
            dedupKey: `k:${k}`,
          })),
          NOW,
          tx,
        );
        assert.equal(queuedIn(tx), true, "an enqueue wakes the worker");
      });
      await db
        .update(deliveries)
        .set({ status: "sent", telegramMessageId: 70 })
        .where(eq(deliveries.subject, "s:c"));
      await db
        .update(deliveries)
        .set({ status: "sent", telegramMessageId: 71 })
        .where(eq(deliveries.subject, "s:d"));
      await db.update(deliveries).set({ status: "dead" }).where(eq(deliveries.subject, "s:e"));
      const [sentC] = await rowsOf("s:c");
      assert.ok(sentC);
      await db.transaction(async (tx) => {
        await outbox.editSubjects(
          [{ subject: "s:c", text: "first edit c", keyboard: null }],
          NOW,
          tx,
        );
        assert.equal(queuedIn(tx), true, "a new edit row wakes the worker");
      });

      const changed = await db.transaction(async (tx) => {
        const n = await outbox.editSubjects(
          [
            { subject: "s:a", text: "new a", keyboard: kb("a2") },
            { subject: "s:b", text: "new b", keyboard: null, dropUnsent: true },
            { subject: "s:c", text: "second edit c", keyboard: kb("c2") },
            { subject: "s:e", text: "new e", keyboard: null },
            { subject: "s:none", text: "nobody", keyboard: null },
          ],
          NOW,
          tx,
        );
        assert.equal(queuedIn(tx), false, "rewrites and folds need no wake-up");
        return n;
      });
      assert.equal(changed, 3, "a, b and c changed; e is dead, s:none has no message");
      const [a] = await rowsOf("s:a");
      assert.equal(a?.text, "new a");
      assert.deepEqual(a?.replyMarkup, kb("a2"));
      assert.equal(a?.status, "pending");
      const [b] = await rowsOf("s:b");
      assert.equal(b?.status, "superseded");
      assert.equal(b?.text, "old b", "a dropped send keeps its text");
      const c = await rowsOf("s:c");
      assert.equal(c.length, 2, "the second edit folded into the first");
      assert.equal(c[1]?.kind, "edit");
      assert.equal(c[1]?.targetId, sentC.id);
      assert.equal(c[1]?.text, "second edit c");
      assert.deepEqual(c[1]?.replyMarkup, kb("c2"));
      const [e] = await rowsOf("s:e");
      assert.equal(e?.text, "old e");

      const queued = await db.transaction(async (tx) => {
        await outbox.editSubjects([{ subject: "s:d", text: "edit d", keyboard: null }], NOW, tx);
        return queuedIn(tx);
      });
      assert.equal(queued, true);
      const d = await rowsOf("s:d");
      assert.equal(d.length, 2);
      assert.equal(d[1]?.kind, "edit");
      assert.equal(d[1]?.text, "edit d");
      assert.equal(d[1]?.replyMarkup, null);
      assert.equal(d[1]?.disableNotification, false);
      assert.equal(d[1]?.status, "pending");
    });

    it("a send claimed while its edit waited is edited after it is sent, not lost", {
      skip: kind.name !== "postgres" && "needs two concurrent transactions (Postgres)",
    }, async () => {
      const outbox = createOutboxWrites(database.db);
      const db = database.db;
      await outbox.enqueueMany(
        [{ chatId: 8, text: "old", keyboard: null, subject: "s:race", dedupKey: "k:race" }],
        NOW,
      );
      const [send] = await rowsOf("s:race");
      assert.ok(send);
      // A worker's claim holds the row, uncommitted, while the edit starts: the edit's
      // snapshot sees the send pending, and its update waits for the claim.
      let commitClaim = () => {};
      const claimed = new Promise<void>((resolve) => {
        commitClaim = resolve;
      });
      let claimTaken = () => {};
      const taken = new Promise<void>((resolve) => {
        claimTaken = resolve;
      });
      const claim = db.transaction(async (tx) => {
        await tx.update(deliveries).set({ status: "sending" }).where(eq(deliveries.id, send.id));
        claimTaken();
        await claimed;
      });
      await taken;
      const edited = db.transaction((tx) =>
        outbox.editSubjects([{ subject: "s:race", text: "new", keyboard: null }], NOW, tx),
      );
      await new Promise((r) => setTimeout(r, 300));
      commitClaim();
      await claim;
      assert.equal(await edited, 1);
      const rows = await rowsOf("s:race");
      assert.equal(rows[0]?.text, "old", "the claimed send goes out as claimed");
      assert.equal(rows.length, 2, "an edit follows it");
      assert.equal(rows[1]?.kind, "edit");
      assert.equal(rows[1]?.targetId, send.id);
      assert.equal(rows[1]?.text, "new");
    });
  });
}

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { pipeline } from "../../db/pipeline.ts";
import { alerts, deliveries } from "../../db/schema/index.ts";
import { columnList, insertRowsText, jsonRows, rowCodec, statement } from "../../db/statement.ts";
import { alertRow } from "../helpers/alert-row.ts";
import { testDatabases } from "../helpers/db.ts";

/**
 * A complete alert row (test/helpers/alert-row.ts) with values that JSON and SQL text must
 * carry through unchanged: quotes, a newline, non-ASCII, milliseconds, a `&` in JSON.
 */
const row = (id: string, fingerprint: string) =>
  alertRow({
    id,
    fingerprint,
    title: "Disk \"full\" 'now' ✓",
    summary: "a\nb",
    labels: { alertname: "DiskFull", instance: "db-1:9100", quote: "it's" },
    startedAt: new Date("2026-11-23T09:00:00.123Z"),
    eventCount: 3,
    annotations: { runbook: "https://example.test/r?a=1&b=2" },
    externalUrl: "https://am.example.test",
  });

for (const kind of testDatabases()) {
  describe(`fixed-text statements on ${kind.name}`, () => {
    let database: Database;
    before(async () => {
      database = await kind.open();
    });
    after(() => database.close());

    it("inserts complete rows from one JSON parameter and decodes them as drizzle's select does", async () => {
      const insert = statement("test_alerts_insert", insertRowsText(alerts));
      const rows = [row("a1", "fp-1"), row("a2", "fp-2")];
      await insert.run(database.db, [jsonRows(alerts, rows)]);
      const byFingerprint = statement(
        "test_alerts_by_fp",
        `select ${columnList(alerts)} from alerts where fingerprint = any($1::text[]) order by id`,
        rowCodec(alerts),
      );
      // Twice: on Postgres the second run uses the statement prepared by the first.
      for (let i = 0; i < 2; i++) {
        const mine = await byFingerprint.run(database.db, [["fp-1", "fp-2", "none"]]);
        const drizzles = await database.db.select().from(alerts).orderBy(alerts.id);
        assert.deepEqual(mine, drizzles);
        assert.deepEqual(mine, rows);
      }
    });

    it("runs inside a transaction and rolls back with it", async () => {
      const insert = statement("test_alerts_insert", insertRowsText(alerts));
      await assert.rejects(
        database.db.transaction(async (tx) => {
          await insert.run(tx, [jsonRows(alerts, [row("a3", "fp-3")])]);
          throw new Error("abort");
        }),
        /abort/,
      );
      assert.equal((await database.db.select().from(alerts).where(eq(alerts.id, "a3"))).length, 0);
    });

    it("a missing key inserts null, so a NOT NULL column without it is refused", async () => {
      const insert = statement(
        "test_deliveries_insert",
        insertRowsText(deliveries, { columns: ["id", "kind", "chatId", "text", "dedupKey"] }),
      );
      await assert.rejects(
        insert.run(database.db, [
          jsonRows(deliveries, [{ id: "d1", kind: "send", chatId: 1, text: "x", dedupKey: "k" }]),
        ]),
        (err: Error) => /next_attempt_at/.test(`${err.message} ${(err.cause as Error)?.message}`),
      );
      assert.throws(
        () => insertRowsText(deliveries, { columns: ["nope"] }),
        /deliveries has no column nope/,
      );
    });

    it("a pipeline waits for every statement before it rejects", async () => {
      const sleepy = statement("test_sleep", "select pg_sleep(0.05) as slept");
      const bad = statement("test_bad", "select 1 / 0 as boom");
      await assert.rejects(
        database.db.transaction(async (tx) => {
          const order: string[] = [];
          try {
            await pipeline([
              bad.run(tx, []).finally(() => order.push("bad")),
              sleepy.run(tx, []).finally(() => order.push("sleepy")),
            ]);
          } finally {
            assert.deepEqual(order.sort(), ["bad", "sleepy"]);
          }
        }),
        (err: Error) => /division by zero/.test(`${err.message} ${(err.cause as Error)?.message}`),
      );
    });
  });
}

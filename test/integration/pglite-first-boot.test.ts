import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { sql } from "drizzle-orm";
import { openDatabase, rowsOf } from "../../db/client.ts";

/** Migrations shipped with the code (drizzle-kit's journal). */
const JOURNAL = JSON.parse(
  readFileSync(new URL("../../db/migrations/meta/_journal.json", import.meta.url), "utf8"),
) as { entries: unknown[] };

/**
 * Opens PGlite and counts the tables of ours its drizzle client created while opening (the
 * migrator's own `create table if not exists` of its journal table is sent on every open).
 */
async function openCounting(dataDir: string | undefined) {
  const sent: string[] = [];
  const db = await openDatabase({ dataDir, onQuery: (text) => sent.push(text) });
  const ours = (t: string) => /\bcreate table\b/i.test(t) && !t.includes("__drizzle_migrations");
  return { db, creates: sent.filter(ours).length };
}

describe("PGlite first boot", () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("creates and migrates a new data directory in a child process: the serving process only checks", async () => {
    // Control: in memory there is no child, so the serving process applies the migrations.
    const inMemory = await openCounting(undefined);
    await inMemory.db.close();
    assert.ok(inMemory.creates > 10, `in-memory open sent ${inMemory.creates} CREATE TABLE`);

    const dataDir = mkdtempSync(join(tmpdir(), "cp-first-boot-"));
    dirs.push(dataDir);
    const first = await openCounting(dataDir);
    try {
      assert.ok(existsSync(join(dataDir, "pglite", "PG_VERSION")));
      assert.equal(first.creates, 0, "the serving process created no table on the first boot");
      const applied = rowsOf(
        await first.db.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`),
      );
      assert.equal(applied[0]?.n, JOURNAL.entries.length);
      const alerts = rowsOf(await first.db.db.execute(sql`select count(*)::int as n from alerts`));
      assert.equal(alerts[0]?.n, 0);
    } finally {
      await first.db.close();
    }

    // A restart opens the same directory and applies nothing either.
    const again = await openCounting(dataDir);
    await again.db.close();
    assert.equal(again.creates, 0);
  });
});

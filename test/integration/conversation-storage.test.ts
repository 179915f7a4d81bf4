import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Database } from "../../db/client.ts";
import { createKvStorage } from "../../src/bot/conversation-storage.ts";
import { testDatabases } from "../helpers/db.ts";

for (const kind of testDatabases()) {
  describe(`kv storage adapter for grammY on ${kind.name}`, () => {
    let database: Database;
    before(async () => {
      database = await kind.open();
    });
    after(() => database.close());

    it("reads, overwrites and deletes JSON values under its prefix", async () => {
      const store = createKvStorage<{ step: number; args: string[] }>(database.db, "conv:");
      assert.equal(await store.read("1:2"), undefined);
      await store.write("1:2", { step: 1, args: ["a"] });
      await store.write("1:2", { step: 2, args: ["a", "b"] });
      assert.deepEqual(await store.read("1:2"), { step: 2, args: ["a", "b"] });
      assert.equal(await store.has?.("1:2"), true);
      await store.delete("1:2");
      assert.equal(await store.read("1:2"), undefined);
    });

    it("keeps prefixes apart, even ones with LIKE wildcards", async () => {
      const a = createKvStorage<number>(database.db, "a_:");
      const b = createKvStorage<number>(database.db, "ab:");
      await a.write("k", 1);
      await b.write("k", 2);
      assert.equal(await a.read("k"), 1);
      const keys: string[] = [];
      for await (const k of a.readAllKeys()) keys.push(k);
      assert.deepEqual(keys, ["k"]);
    });
  });
}

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Database } from "../../db/client.ts";
import { createBackendService } from "../../src/proxy/backend-service.ts";
import { createKeyCipher } from "../../src/proxy/key-crypto.ts";
import { rotateKeys, unreadableKeys } from "../../src/proxy/key-rotation.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";

for (const kind of testDatabases()) {
  describe(`encryption key rotation on ${kind.name}`, () => {
    let database: Database;
    const oldCipher = createKeyCipher(randomBytes(32));
    const newCipher = createKeyCipher(randomBytes(32));
    before(async () => {
      database = await kind.open();
      const svc = createBackendService({ db: database.db, clock: fakeClock(), cipher: oldCipher });
      for (const name of ["one", "two", "three"]) {
        await svc.create({
          name,
          base_url: "http://127.0.0.1:1/v1",
          api_key: `sk-${name}-secret-0000`,
          pool: "primary",
          models: [{ canonical: "m", native: "n" }],
        });
      }
    });
    after(() => database.close());

    it("re-encrypts every key so that the new key opens them and the old one no longer does", async () => {
      assert.equal((await rotateKeys(database.db, oldCipher, newCipher)).rotated, 3);
      assert.deepEqual(await unreadableKeys(database.db, newCipher), []);
      assert.equal((await unreadableKeys(database.db, oldCipher)).length, 3);
      const svc = createBackendService({ db: database.db, clock: fakeClock(), cipher: newCipher });
      assert.deepEqual((await svc.loadRuntime()).map((b) => b.apiKey).sort(), [
        "sk-one-secret-0000",
        "sk-three-secret-0000",
        "sk-two-secret-0000",
      ]);
    });

    it("changes nothing when the given old key is wrong", async () => {
      const wrong = createKeyCipher(randomBytes(32));
      await assert.rejects(
        rotateKeys(database.db, wrong, createKeyCipher(randomBytes(32))),
        /does not open with the current key; nothing was changed/,
      );
      assert.deepEqual(
        await unreadableKeys(database.db, newCipher),
        [],
        "keys still open with the key in force",
      );
    });
  });
}

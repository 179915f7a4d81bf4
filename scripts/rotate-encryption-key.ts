/**
 * Re-encrypts every backend API key under a new ENCRYPTION_KEY.
 *
 *   NEW_ENCRYPTION_KEY=<64 hex> npm run rotate-key            # rotate to the given key
 *   npm run rotate-key -- --generate                          # generate a new key and rotate
 *   npm run rotate-key -- --check                             # only check every key opens
 *
 * Stop the app first (with PGlite the data directory lock enforces it). The old key is the
 * one the app uses (ENCRYPTION_KEY, else DATA_DIR/encryption.key). When the key file is in
 * use, the new key is written to encryption.key.new before the database commit and renamed
 * over encryption.key after it, so a crash leaves both keys on disk, never none.
 */
import { randomBytes } from "node:crypto";
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../db/client.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import { createKeyCipher } from "../src/proxy/key-crypto.ts";
import { resolveEncryptionKey } from "../src/proxy/key-file.ts";
import { rotateKeys, unreadableKeys } from "../src/proxy/key-rotation.ts";

async function main(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger("warn");
  const args = process.argv.slice(2);
  const oldKey = resolveEncryptionKey({
    keyHex: config.encryptionKeyHex,
    dataDir: config.dataDir,
    logger,
  });
  const db = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : config.dataDir,
  });
  try {
    const oldCipher = createKeyCipher(oldKey);
    if (args.includes("--check")) {
      const bad = await unreadableKeys(db.db, oldCipher);
      console.log(
        bad.length === 0
          ? "ok: every backend key opens with the current key"
          : `unreadable: ${bad.join(", ")}`,
      );
      return bad.length === 0 ? 0 : 1;
    }
    const newHex = args.includes("--generate")
      ? randomBytes(32).toString("hex")
      : process.env.NEW_ENCRYPTION_KEY?.trim();
    if (!newHex || !/^[0-9a-fA-F]{64}$/.test(newHex)) {
      console.error("NEW_ENCRYPTION_KEY: expected 64 hex characters (or pass --generate)");
      return 1;
    }
    const keyFile = config.encryptionKeyHex ? undefined : join(config.dataDir, "encryption.key");
    if (keyFile) writeFileSync(`${keyFile}.new`, `${newHex}\n`, { mode: 0o600 });
    const { rotated } = await rotateKeys(
      db.db,
      oldCipher,
      createKeyCipher(Buffer.from(newHex, "hex")),
    );
    if (keyFile && existsSync(`${keyFile}.new`)) renameSync(`${keyFile}.new`, keyFile);
    console.log(`rotated ${rotated} backend key(s)`);
    if (keyFile) console.log(`the new key is in ${keyFile}`);
    else
      console.log(
        "now set ENCRYPTION_KEY to the new key and restart the app (the key is not printed; you supplied it)",
      );
    if (args.includes("--generate") && !keyFile) console.log(`generated key: ${newHex}`);
    return 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`rotate-key failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

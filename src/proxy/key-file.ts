import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../logger.ts";

/**
 * Returns the 32-byte encryption key: `ENCRYPTION_KEY` when set, else the key in
 * `<dataDir>/encryption.key`, generated (mode 0600) with a warning on first start.
 * @throws Error when the key file exists but does not hold 64 hex characters.
 */
export function resolveEncryptionKey(opts: {
  keyHex: string | undefined;
  dataDir: string;
  logger: Logger;
}): Buffer {
  if (opts.keyHex) return Buffer.from(opts.keyHex, "hex");
  const path = join(opts.dataDir, "encryption.key");
  if (existsSync(path)) {
    const hex = readFileSync(path, "utf8").trim();
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`${path} does not hold 64 hex characters`);
    return Buffer.from(hex, "hex");
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(path, `${key.toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  opts.logger.warn(
    { path },
    "ENCRYPTION_KEY unset: generated a key file; back it up with the database",
  );
  return key;
}

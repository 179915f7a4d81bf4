import { eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { backends } from "../../db/schema/index.ts";
import type { KeyCipher } from "./key-crypto.ts";

/** Outcome of {@link rotateKeys}. */
export interface RotationResult {
  rotated: number;
}

/**
 * Re-encrypts every backend API key from `from` to `to` in one transaction (the
 * seed's rotation SOP lost every key; this one cannot): every key is opened with the old
 * key and the new seal is verified before anything is written; any failure rolls all back.
 * @throws Error naming the backend whose key the old key cannot open.
 */
export async function rotateKeys(db: Db, from: KeyCipher, to: KeyCipher): Promise<RotationResult> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .select({ id: backends.id, name: backends.name, sealed: backends.apiKeyEnc })
      .from(backends)
      .for("update");
    const updates: { id: string; sealed: string }[] = [];
    for (const r of rows) {
      let plain: string;
      try {
        plain = from.open(r.sealed);
      } catch {
        throw new Error(
          `backend ${r.name}: its key does not open with the current key; nothing was changed`,
        );
      }
      const sealed = to.seal(plain);
      if (to.open(sealed) !== plain)
        throw new Error(`backend ${r.name}: verification of the new seal failed`);
      updates.push({ id: r.id, sealed });
    }
    for (const u of updates)
      await tx.update(backends).set({ apiKeyEnc: u.sealed }).where(eq(backends.id, u.id));
    return { rotated: updates.length };
  });
}

/** Checks that every key opens with `cipher`; returns the names of those that do not. */
export async function unreadableKeys(db: Db, cipher: KeyCipher): Promise<string[]> {
  const rows = await db.select({ name: backends.name, sealed: backends.apiKeyEnc }).from(backends);
  return rows
    .filter((r) => {
      try {
        cipher.open(r.sealed);
        return false;
      } catch {
        return true;
      }
    })
    .map((r) => r.name);
}

import type { ConversationStorage } from "@grammyjs/conversations";
import { eq, like } from "drizzle-orm";
import type { Context, StorageAdapter } from "grammy";
import type { Db } from "../../db/client.ts";
import { kv } from "../../db/schema/index.ts";
import type { Clock } from "../types.ts";
import { systemClock } from "../types.ts";

/**
 * A grammY {@link StorageAdapter} over the drizzle `kv` table (grammY conversations:
 * `@grammyjs/storage-psql` wants a pg-style client). Works on Postgres and PGlite. Keys are
 * stored as `<prefix><key>`, so several users (sessions, conversations, UI state) share the
 * table without colliding. Values must be JSON-serialisable.
 *
 * @example
 * bot.use(session({ initial: () => ({}), storage: createKvStorage(db, "session:") }));
 */
export function createKvStorage<T>(
  db: Db,
  prefix: string,
  clock: Clock = systemClock,
): StorageAdapter<T> & { readAllKeys(): AsyncIterable<string> } {
  const full = (key: string) => `${prefix}${key}`;
  return {
    async read(key) {
      const [row] = await db
        .select()
        .from(kv)
        .where(eq(kv.key, full(key)));
      // The value is what `write` stored for this key (JSON round trip): the adapter's user
      // owns its shape (grammY's StorageAdapter<T> contract), so it is not checked here.
      return row ? (row.value as T) : undefined;
    },
    async write(key, value) {
      const now = clock.now();
      await db
        .insert(kv)
        .values({ key: full(key), value, updatedAt: now })
        .onConflictDoUpdate({ target: kv.key, set: { value, updatedAt: now } });
    },
    async delete(key) {
      await db.delete(kv).where(eq(kv.key, full(key)));
    },
    async has(key) {
      const [row] = await db
        .select({ key: kv.key })
        .from(kv)
        .where(eq(kv.key, full(key)));
      return row !== undefined;
    },
    async *readAllKeys() {
      const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
      const rows = await db
        .select({ key: kv.key })
        .from(kv)
        .where(like(kv.key, `${escaped}%`));
      for (const r of rows) yield r.key.slice(prefix.length);
    },
  };
}

/**
 * Storage for `conversations()` (@grammyjs/conversations v2) in the `kv` table, one state
 * per chat and user (`<chat>:<user>`), so two admins in one group each have their own
 * conversation. Bump `version` when a flow changes in a way that old states cannot replay.
 */
export function conversationStorage<C extends Context, S>(
  db: Db,
  version: string | number = 1,
): ConversationStorage<C, S> {
  return {
    type: "key",
    version,
    prefix: "",
    getStorageKey: (ctx) =>
      ctx.chatId === undefined || ctx.from === undefined
        ? undefined
        : `${ctx.chatId}:${ctx.from.id}`,
    adapter: createKvStorage(db, "conversation:"),
  };
}

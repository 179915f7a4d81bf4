import { and, desc, eq, gt, isNull } from "drizzle-orm";
import { ulid } from "ulid";
import type { Db } from "../../db/client.ts";
import { type CooldownEventRow, cooldownEvents } from "../../db/schema/index.ts";
import type { CooldownStarted } from "./cooldowns.ts";

/** Cooldown event rows (DESIGN.md: "every cooldown is an event row"). */
export type CooldownStore = ReturnType<typeof createCooldownStore>;

/** Builds the cooldown store. */
export function createCooldownStore(db: Db) {
  return {
    /** Records a cooldown that started. */
    async record(c: CooldownStarted, backendName: string, reason: string): Promise<void> {
      await db.insert(cooldownEvents).values({
        id: ulid(),
        backendId: c.backendId,
        backendName,
        startedAt: c.startedAt,
        endsAt: c.endsAt,
        strike: c.strike,
        retryAfterS: c.retryAfterS,
        reason,
      });
    },

    /** Marks the running cooldowns of a backend cleared by `who` at `now`. */
    async clear(backendId: string, who: string, now: Date): Promise<void> {
      await db
        .update(cooldownEvents)
        .set({ clearedAt: now, clearedBy: who })
        .where(
          and(
            eq(cooldownEvents.backendId, backendId),
            gt(cooldownEvents.endsAt, now),
            isNull(cooldownEvents.clearedAt),
          ),
        );
    },

    /** Most recent cooldown events, newest first. */
    async recent(limit: number): Promise<CooldownEventRow[]> {
      return db.select().from(cooldownEvents).orderBy(desc(cooldownEvents.startedAt)).limit(limit);
    },

    /** Cooldowns that start at or after `from` (reports). */
    async since(from: Date): Promise<CooldownEventRow[]> {
      return db.select().from(cooldownEvents).where(gt(cooldownEvents.startedAt, from));
    },
  };
}

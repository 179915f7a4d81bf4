import { and, desc, eq, gt, isNull, max } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { type CooldownEventRow, cooldownEvents } from "../../db/schema/index.ts";
import { ulid } from "../ids.ts";
import type { CooldownStarted } from "./cooldowns.ts";

/** Cooldown event rows (every cooldown is an event row). */
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

    /**
     * Cooldowns running at `now` and not cleared: per backend the latest end and the highest
     * strike. Loaded at start and when another replica records or clears one.
     */
    async active(now: Date): Promise<{ backendId: string; endsAt: Date; strike: number }[]> {
      const rows = await db
        .select({
          backendId: cooldownEvents.backendId,
          endsAt: max(cooldownEvents.endsAt),
          strike: max(cooldownEvents.strike),
        })
        .from(cooldownEvents)
        .where(and(gt(cooldownEvents.endsAt, now), isNull(cooldownEvents.clearedAt)))
        .groupBy(cooldownEvents.backendId);
      return rows.map((r) => ({
        backendId: r.backendId,
        endsAt: r.endsAt ?? now,
        strike: r.strike ?? 1,
      }));
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

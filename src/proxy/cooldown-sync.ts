import type { Clock } from "../types.ts";
import type { CooldownStore } from "./cooldown-store.ts";
import type { CooldownTable } from "./cooldowns.ts";

/** Keeps the in-memory cooldowns in step with the stored ones. */
export type CooldownSync = ReturnType<typeof createCooldownSync>;

/**
 * Builds the sync between the cooldown rows (every replica records its 429 cooldowns there)
 * and this process's {@link CooldownTable}. {@link CooldownSync.load} adopts every running,
 * uncleared cooldown, and ends the local ones the database no longer has as running (another
 * replica cleared them), except a cooldown whose row this process is still writing.
 */
export function createCooldownSync(deps: {
  store: Pick<CooldownStore, "active">;
  table: CooldownTable;
  clock: Clock;
}) {
  const writing = new Map<string, number>();
  return {
    /** Runs `write` (recording a cooldown of `backendId`), so a load meanwhile keeps it. */
    async track<T>(backendId: string, write: () => Promise<T>): Promise<T> {
      writing.set(backendId, (writing.get(backendId) ?? 0) + 1);
      try {
        return await write();
      } finally {
        const n = (writing.get(backendId) ?? 1) - 1;
        if (n > 0) writing.set(backendId, n);
        else writing.delete(backendId);
      }
    },

    /** Applies the stored running cooldowns to the table (at start and on every change). */
    async load(): Promise<void> {
      const now = deps.clock.now();
      const stored = await deps.store.active(now);
      const running = new Set(stored.map((c) => c.backendId));
      for (const c of stored) deps.table.adopt(c.backendId, c.endsAt.getTime(), c.strike);
      for (const id of deps.table.active(now.getTime()).keys()) {
        if (!running.has(id) && !writing.has(id)) deps.table.clear(id, now.getTime());
      }
    },
  };
}

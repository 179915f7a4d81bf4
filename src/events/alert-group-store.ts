import { and, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.ts";
import { type AlertGroupRow, type AlertRow, alertGroups, alerts } from "../../db/schema/index.ts";

/** Reads and writes of `alert_groups` and their members; every method takes the transaction. */
export type AlertGroupStore = ReturnType<typeof createAlertGroupStore>;

/** Builds the alert group store. */
export function createAlertGroupStore() {
  return {
    /** The open groups of `keys`, locked until the transaction ends. */
    async openForUpdate(keys: string[], tx: DbOrTx): Promise<AlertGroupRow[]> {
      if (keys.length === 0) return [];
      return tx
        .select()
        .from(alertGroups)
        .where(and(inArray(alertGroups.key, keys), eq(alertGroups.status, "open")))
        .for("update");
    },

    /** Groups by id. */
    async getMany(ids: string[], tx: DbOrTx): Promise<AlertGroupRow[]> {
      if (ids.length === 0) return [];
      return tx.select().from(alertGroups).where(inArray(alertGroups.id, ids));
    },

    /** A group by id, locked until the transaction ends. */
    async getForUpdate(id: string, tx: DbOrTx): Promise<AlertGroupRow | undefined> {
      const [row] = await tx.select().from(alertGroups).where(eq(alertGroups.id, id)).for("update");
      return row;
    },

    /** Inserts new groups in one statement. */
    async insertMany(rows: AlertGroupRow[], tx: DbOrTx): Promise<void> {
      if (rows.length > 0) await tx.insert(alertGroups).values(rows);
    },

    /** Every member of groups `ids` (firing and resolved), in one read. */
    async members(ids: string[], tx: DbOrTx): Promise<AlertRow[]> {
      if (ids.length === 0) return [];
      return tx.select().from(alerts).where(inArray(alerts.groupId, ids));
    },

    /** Closes groups `ids` at `at` (every member resolved). */
    async close(ids: string[], at: Date, tx: DbOrTx): Promise<void> {
      if (ids.length === 0) return;
      await tx
        .update(alertGroups)
        .set({ status: "closed", closedAt: at })
        .where(and(inArray(alertGroups.id, ids), eq(alertGroups.status, "open")));
    },

    /** Counts one more group message, queued at `at`. */
    async renotified(id: string, notifications: number, at: Date, tx: DbOrTx): Promise<void> {
      await tx
        .update(alertGroups)
        .set({ notifications, lastNotifiedAt: at })
        .where(eq(alertGroups.id, id));
    },
  };
}

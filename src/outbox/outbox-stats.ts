import { count, eq, min, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { type DeliveryRow, deliveries } from "../../db/schema/index.ts";

/** Counts shown in /status, the admin API and /metrics. */
export interface OutboxStats {
  /** Deliveries waiting: pending plus claimed but not settled. */
  pending: number;
  dead: number;
  sent: number;
  /** Age in ms of the oldest waiting delivery, 0 when none. */
  oldestPendingMs: number;
}

/** Read-only views of the outbox for people: counts and recent rows. */
export function createOutboxStats(db: Db) {
  return {
    /** Counts by state and the oldest waiting age at `now`. */
    async stats(now: Date): Promise<OutboxStats> {
      const rows = await db
        .select({ status: deliveries.status, n: count(), oldest: min(deliveries.createdAt) })
        .from(deliveries)
        .groupBy(deliveries.status);
      const by = new Map(rows.map((r) => [r.status, r]));
      const queued = (by.get("pending")?.n ?? 0) + (by.get("sending")?.n ?? 0);
      const oldest = [by.get("pending")?.oldest, by.get("sending")?.oldest]
        .filter((d): d is Date => d instanceof Date)
        .map((d) => d.getTime());
      return {
        pending: queued,
        dead: by.get("dead")?.n ?? 0,
        sent: by.get("sent")?.n ?? 0,
        oldestPendingMs: oldest.length ? Math.max(0, now.getTime() - Math.min(...oldest)) : 0,
      };
    },

    /** Recent deliveries for the admin API, newest first. */
    async list(opts: { status?: DeliveryRow["status"]; limit: number }): Promise<DeliveryRow[]> {
      const q = db.select().from(deliveries);
      const filtered = opts.status ? q.where(eq(deliveries.status, opts.status)) : q;
      return filtered.orderBy(sql`${deliveries.id} desc`).limit(opts.limit);
    },
  };
}

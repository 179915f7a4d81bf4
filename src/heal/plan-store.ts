import { and, asc, count, desc, eq, gt, gte, isNull, lte } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.ts";
import {
  type HealAuditRow,
  type HealPlanRow,
  type HealStatus,
  healAudit,
  healPlans,
} from "../../db/schema/index.ts";
import { monotonicFactory } from "../ids.ts";

/** Audit ids sort in insertion order even within one millisecond. */
const nextId = monotonicFactory();

/** Rows and transitions of heal plans and their audit trail. */
export type PlanStore = ReturnType<typeof createPlanStore>;

/** Builds the plan store over `db`. */
export function createPlanStore(db: Db) {
  return {
    /** Inserts a new plan. */
    async insert(row: typeof healPlans.$inferInsert, tx: DbOrTx = db): Promise<HealPlanRow> {
      const [inserted] = await tx.insert(healPlans).values(row).returning();
      return inserted as HealPlanRow;
    },

    /** The plan `id`, or undefined. */
    async get(id: string, tx: DbOrTx = db): Promise<HealPlanRow | undefined> {
      const [row] = await tx.select().from(healPlans).where(eq(healPlans.id, id));
      return row;
    },

    /**
     * The decision transition, atomic: pending → `to` only while the plan is pending, not
     * expired at `now`, and its content hash is still `hash`. The first decision wins; any
     * later one (a double press, a second admin) gets undefined.
     */
    async decide(
      id: string,
      hash: string,
      to: "approved" | "rejected",
      who: string,
      now: Date,
      reason: string | null,
      tx: DbOrTx = db,
    ): Promise<HealPlanRow | undefined> {
      const [row] = await tx
        .update(healPlans)
        .set({ status: to, decidedBy: who, decidedAt: now, reason })
        .where(
          and(
            eq(healPlans.id, id),
            eq(healPlans.status, "pending"),
            gt(healPlans.expiresAt, now),
            eq(healPlans.contentHash, hash),
          ),
        )
        .returning();
      return row;
    },

    /** Moves plan `id` from `from` to `to` (with extra fields); undefined when not in `from`. */
    async transition(
      id: string,
      from: HealStatus,
      to: HealStatus,
      patch: Partial<Pick<HealPlanRow, "startedAt" | "finishedAt" | "reason">>,
      tx: DbOrTx = db,
    ): Promise<HealPlanRow | undefined> {
      const [row] = await tx
        .update(healPlans)
        .set({ status: to, ...patch })
        .where(and(eq(healPlans.id, id), eq(healPlans.status, from)))
        .returning();
      return row;
    },

    /** Pending plans whose expiry is at or before `now`, marked expired; returns them. */
    expireDue(now: Date, tx: DbOrTx = db): Promise<HealPlanRow[]> {
      return tx
        .update(healPlans)
        .set({ status: "expired" })
        .where(and(eq(healPlans.status, "pending"), lte(healPlans.expiresAt, now)))
        .returning();
    },

    /** Executions started at or after `since` (guardrail L3 counts these). */
    async startedSince(since: Date, tx: DbOrTx = db): Promise<number> {
      const [row] = await tx
        .select({ n: count() })
        .from(healPlans)
        .where(gte(healPlans.startedAt, since));
      return row?.n ?? 0;
    },

    /**
     * A pending plan, not expired at `now`, with content hash `hash` and the same incident
     * (both none counts as the same): proposing it again would be a duplicate.
     */
    async pendingDuplicate(
      hash: string,
      incidentId: string | null,
      now: Date,
      tx: DbOrTx = db,
    ): Promise<HealPlanRow | undefined> {
      const [row] = await tx
        .select()
        .from(healPlans)
        .where(
          and(
            eq(healPlans.status, "pending"),
            eq(healPlans.contentHash, hash),
            gt(healPlans.expiresAt, now),
            incidentId === null
              ? isNull(healPlans.incidentId)
              : eq(healPlans.incidentId, incidentId),
          ),
        )
        .limit(1);
      return row;
    },

    /** The newest audit row of plan `id` at `step`, or undefined. */
    async lastStep(id: string, step: string, tx: DbOrTx = db): Promise<HealAuditRow | undefined> {
      const [row] = await tx
        .select()
        .from(healAudit)
        .where(and(eq(healAudit.planId, id), eq(healAudit.step, step)))
        .orderBy(desc(healAudit.id))
        .limit(1);
      return row;
    },

    /**
     * Every plan in `status`, oldest first: `pending` for /plans, `running` for crash recovery
     * (which looks for those nobody is running any more).
     */
    inStatus(status: HealStatus, tx: DbOrTx = db): Promise<HealPlanRow[]> {
      return tx
        .select()
        .from(healPlans)
        .where(eq(healPlans.status, status))
        .orderBy(asc(healPlans.createdAt), asc(healPlans.id));
    },

    /** The newest `limit` plans, newest first. */
    recent(limit: number, tx: DbOrTx = db): Promise<HealPlanRow[]> {
      return tx.select().from(healPlans).orderBy(desc(healPlans.id)).limit(limit);
    },

    /** Appends an audit row (who, when, which step, the hash the step saw). */
    async audit(
      plan: Pick<HealPlanRow, "id" | "contentHash">,
      actor: string,
      step: string,
      detail: Record<string, unknown>,
      at: Date,
      tx: DbOrTx = db,
    ): Promise<void> {
      await tx.insert(healAudit).values({
        id: nextId(),
        planId: plan.id,
        at,
        actor,
        step,
        detail,
        contentHash: plan.contentHash,
      });
    },

    /** The audit trail of plan `id`, in order. */
    auditOf(id: string, tx: DbOrTx = db): Promise<HealAuditRow[]> {
      return tx.select().from(healAudit).where(eq(healAudit.planId, id)).orderBy(asc(healAudit.id));
    },
  };
}

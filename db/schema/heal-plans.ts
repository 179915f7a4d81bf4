import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/** What a heal plan does (README, Heal plans). */
export const HEAL_KINDS = ["code_fix", "restart", "rollback", "command"] as const;
/** A heal plan kind. */
export type HealKind = (typeof HEAL_KINDS)[number];

/** Risk as the proposer rates it. */
export const HEAL_RISKS = ["low", "medium", "high"] as const;

/**
 * Plan lifecycle: pending → approved | rejected | expired; approved → running → succeeded |
 * failed | reverted | refused (a guardrail stopped it).
 */
export const HEAL_STATUSES = [
  "pending",
  "approved",
  "rejected",
  "expired",
  "running",
  "succeeded",
  "failed",
  "reverted",
  "refused",
] as const;
/** A heal plan status. */
export type HealStatus = (typeof HEAL_STATUSES)[number];

/**
 * A proposed fix that a human approves or rejects. `contentHash` is the sha256 of the
 * canonical plan content (kind, target, rationale, risk): a decision is bound to it.
 */
export const healPlans = pgTable(
  "heal_plans",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: HEAL_KINDS }).notNull(),
    target: text("target").notNull(),
    rationale: text("rationale").notNull(),
    proposedBy: text("proposed_by").notNull(),
    risk: text("risk", { enum: HEAL_RISKS }).notNull(),
    incidentId: text("incident_id"),
    contentHash: text("content_hash").notNull(),
    status: text("status", { enum: HEAL_STATUSES }).notNull(),
    decidedBy: text("decided_by"),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    reason: text("reason"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    /** When execution started (L3 counts these over a rolling hour). */
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    index("heal_plans_status_idx").on(t.status),
    index("heal_plans_started_idx").on(t.startedAt),
    /** One plan runs per target at a time, across processes (README, Heal plans). */
    uniqueIndex("heal_plans_running_target_idx").on(t.target).where(sql`${t.status} = 'running'`),
  ],
);

/** A heal plan as stored. */
export type HealPlanRow = typeof healPlans.$inferSelect;

/** One audit row: a proposal, decision, step or result of a plan. */
export const healAudit = pgTable(
  "heal_audit",
  {
    id: text("id").primaryKey(),
    planId: text("plan_id").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    actor: text("actor").notNull(),
    step: text("step").notNull(),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
    contentHash: text("content_hash").notNull(),
  },
  (t) => [index("heal_audit_plan_idx").on(t.planId, t.at)],
);

/** An audit row as stored. */
export type HealAuditRow = typeof healAudit.$inferSelect;

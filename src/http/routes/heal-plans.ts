import type { FastifyInstance } from "fastify";
import type { HealAuditRow, HealPlanRow } from "../../../db/schema/index.ts";
import { NotFoundError } from "../../errors.ts";
import type { HealService } from "../../heal/heal-service.ts";

/** A plan as the API shows it (snake_case). */
export function planJson(p: HealPlanRow) {
  return {
    id: p.id,
    kind: p.kind,
    target: p.target,
    rationale: p.rationale,
    proposed_by: p.proposedBy,
    risk: p.risk,
    incident_id: p.incidentId,
    content_hash: p.contentHash,
    status: p.status,
    decided_by: p.decidedBy,
    decided_at: p.decidedAt?.toISOString() ?? null,
    reason: p.reason,
    expires_at: p.expiresAt.toISOString(),
    created_at: p.createdAt.toISOString(),
    started_at: p.startedAt?.toISOString() ?? null,
    finished_at: p.finishedAt?.toISOString() ?? null,
  };
}

/** An audit row as the API shows it. */
export function auditJson(a: HealAuditRow) {
  return {
    at: a.at.toISOString(),
    actor: a.actor,
    step: a.step,
    detail: a.detail,
    content_hash: a.contentHash,
  };
}

/**
 * `POST /api/heal-plans`: registered inside the ingest scope (bearer
 * `INGEST_TOKEN`). 201 with the stored plan; 400 names the first bad field.
 */
export function registerHealPlanIngestRoute(app: FastifyInstance, heal: HealService): void {
  app.post("/api/heal-plans", async (req, reply) => {
    const plan = await heal.propose(req.body);
    return reply.code(201).send(planJson(plan));
  });
}

/**
 * `GET /api/admin/heal-plans` (the newest 100, newest first) and
 * `GET /api/admin/heal-plans/:id/audit` (404 for an unknown plan); registered inside the
 * admin scope (bearer `ADMIN_TOKEN`).
 */
export function registerHealPlanAdminRoutes(app: FastifyInstance, heal: HealService): void {
  app.get("/api/admin/heal-plans", async () => {
    return { plans: (await heal.store.recent(100)).map(planJson) };
  });
  app.get<{ Params: { id: string } }>("/api/admin/heal-plans/:id/audit", async (req) => {
    const plan = await heal.store.get(req.params.id);
    if (!plan) throw new NotFoundError(`heal plan ${req.params.id}`);
    return { plan: planJson(plan), audit: (await heal.audit(plan.id)).map(auditJson) };
  });
}

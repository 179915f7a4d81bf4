import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { DELIVERY_STATUSES } from "../../../db/schema/index.ts";
import type { OutboxRepository } from "../../outbox/outbox-repository.ts";
import type { AgentKeyService } from "../../proxy/agent-keys.ts";
import type { BackendService } from "../../proxy/backend-service.ts";
import type { Clock } from "../../types.ts";
import { parseInput } from "../../validation.ts";
import { requireBearer } from "../auth.ts";

const idParams = z.object({ id: z.string().min(1).max(64) });
const deliveryQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** `/api/admin/*`, bearer `ADMIN_TOKEN` (DESIGN.md, HTTP surface). */
export function registerAdminRoutes(
  app: FastifyInstance,
  deps: {
    adminToken: string | undefined;
    backends: BackendService;
    agents: AgentKeyService;
    outbox: OutboxRepository;
    clock: Clock;
  },
): void {
  app.register(async (admin) => {
    admin.addHook("preHandler", requireBearer(deps.adminToken, "ADMIN_TOKEN"));

    admin.get("/api/admin/backends", async () => ({ backends: await deps.backends.list() }));
    admin.post("/api/admin/backends", async (req, reply) =>
      reply.code(201).send(await deps.backends.create(req.body)),
    );
    admin.get("/api/admin/backends/:id", async (req) =>
      deps.backends.get(parseInput(idParams, req.params).id),
    );
    admin.patch("/api/admin/backends/:id", async (req) =>
      deps.backends.update(parseInput(idParams, req.params).id, req.body),
    );
    admin.delete("/api/admin/backends/:id", async (req, reply) => {
      await deps.backends.remove(parseInput(idParams, req.params).id);
      return reply.code(204).send();
    });

    admin.get("/api/admin/agents", async () => ({ agents: await deps.agents.list() }));
    admin.post("/api/admin/agents", async (req, reply) =>
      reply.code(201).send(await deps.agents.create(req.body)),
    );
    admin.delete("/api/admin/agents/:id", async (req) =>
      deps.agents.revoke(parseInput(idParams, req.params).id),
    );

    admin.get("/api/admin/deliveries", async (req) => {
      const q = parseInput(deliveryQuery, req.query);
      const rows = await deps.outbox.list({ status: q.status, limit: q.limit });
      return {
        stats: await deps.outbox.stats(deps.clock.now()),
        deliveries: rows.map((r) => ({
          id: r.id,
          kind: r.kind,
          chat_id: r.chatId,
          subject: r.subject,
          status: r.status,
          attempts: r.attempts,
          next_attempt_at: r.nextAttemptAt.toISOString(),
          last_error: r.lastError,
          telegram_message_id: r.telegramMessageId,
          created_at: r.createdAt.toISOString(),
          sent_at: r.sentAt?.toISOString() ?? null,
        })),
      };
    });
  });
}

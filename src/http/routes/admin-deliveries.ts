import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { DELIVERY_STATUSES, type DeliveryRow } from "../../../db/schema/index.ts";
import { InputError, NotFoundError } from "../../errors.ts";
import type { OutboxRepository } from "../../outbox/outbox-repository.ts";
import { redactText } from "../../redact.ts";
import type { Clock } from "../../types.ts";
import { parseInput } from "../../validation.ts";

const deliveryQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
const idParams = z.object({ id: z.string().min(1).max(64) });

/** A delivery as the admin API shows it (snake_case; the text is left out). */
export function deliveryJson(r: DeliveryRow) {
  return {
    id: r.id,
    kind: r.kind,
    chat_id: r.chatId,
    subject: r.subject,
    target_id: r.targetId,
    status: r.status,
    attempts: r.attempts,
    next_attempt_at: r.nextAttemptAt.toISOString(),
    locked_by: r.lockedBy,
    locked_until: r.lockedUntil?.toISOString() ?? null,
    // Redacted again on the way out: rows written before redaction may hold a Bot API URL.
    last_error: r.lastError === null ? null : redactText(r.lastError),
    telegram_message_id: r.telegramMessageId,
    created_at: r.createdAt.toISOString(),
    sent_at: r.sentAt?.toISOString() ?? null,
  };
}

/**
 * Outbox state for operators (README, HTTP surface): counts (pending, dead,
 * oldest pending age) and recent rows, filterable by status; and a retry for a dead delivery,
 * which puts it back to pending with fresh attempts. Registered inside the admin scope.
 */
export function registerDeliveryAdminRoutes(
  admin: FastifyInstance,
  deps: { outbox: OutboxRepository; clock: Clock },
): void {
  admin.get("/api/admin/deliveries", async (req) => {
    const q = parseInput(deliveryQuery, req.query);
    const rows = await deps.outbox.list({ status: q.status, limit: q.limit });
    return {
      stats: await deps.outbox.stats(deps.clock.now()),
      deliveries: rows.map(deliveryJson),
    };
  });

  admin.post("/api/admin/deliveries/:id/retry", async (req) => {
    const { id } = parseInput(idParams, req.params);
    const row = await deps.outbox.requeueDead(id, deps.clock.now());
    if (row) return deliveryJson(row);
    if (!(await deps.outbox.get(id))) throw new NotFoundError(`delivery ${id}`);
    throw new InputError("only a dead delivery can be retried", { field: "id", statusCode: 409 });
  });
}

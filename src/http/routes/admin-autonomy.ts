import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AutonomyService } from "../../autonomy/autonomy-service.ts";
import { parseInput } from "../../validation.ts";

const autonomyQuery = z.object({
  days: z.coerce.number().int().min(1).max(366).default(30),
});

/**
 * `GET /api/admin/stats/autonomy?days=30` (inside the admin scope, bearer `ADMIN_TOKEN`):
 * the autonomy index per local day of `REPORT_TIMEZONE`, oldest first, for the `days` days
 * ending today (1–366, default 30), and over the whole series. Each entry:
 * `{ date: "YYYY-MM-DD", notified, decided, index }`, `index` = 1 − decided ÷ notified or
 * null on a day without notified events (definition: docs/triage.md, "Autonomy index").
 */
export function registerAutonomyAdminRoutes(
  admin: FastifyInstance,
  deps: { autonomy: Pick<AutonomyService, "series"> },
): void {
  admin.get("/api/admin/stats/autonomy", async (req) => {
    const q = parseInput(autonomyQuery, req.query);
    const s = await deps.autonomy.series(q.days);
    return { time_zone: s.timeZone, days: s.days, total: s.total };
  });
}

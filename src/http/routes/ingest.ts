import type { FastifyInstance } from "fastify";
import { parseAlertmanagerWebhook } from "../../events/alertmanager.ts";
import type { EventRouter } from "../../events/event-router.ts";
import { requireBearer } from "../auth.ts";

/** Ingest endpoints, bearer `INGEST_TOKEN` (DESIGN.md, HTTP surface). */
export function registerIngestRoutes(
  app: FastifyInstance,
  deps: { ingestToken: string | undefined; router: EventRouter },
): void {
  app.register(async (ingest) => {
    ingest.addHook("preHandler", requireBearer(deps.ingestToken, "INGEST_TOKEN"));

    /**
     * Alertmanager webhook v4. Answers 200 only after the events are stored; a database
     * failure falls through to the 5xx handler so Alertmanager retries.
     */
    ingest.post("/webhooks/alertmanager", async (req) => {
      const inputs = parseAlertmanagerWebhook(req.body);
      const results = await deps.router.ingest(inputs);
      return { received: results.length, events: results };
    });
  });
}

import type { FastifyInstance } from "fastify";
import type { AiderService } from "../../aider/aider-service.ts";
import { parseAlertmanagerWebhook } from "../../events/alertmanager.ts";
import { parseApiEvents } from "../../events/api-event.ts";
import type { EventRouter } from "../../events/event-router.ts";
import type { HealService } from "../../heal/heal-service.ts";
import type { HeartbeatService } from "../../heartbeats/heartbeat-service.ts";
import type { Clock } from "../../types.ts";
import { systemClock } from "../../types.ts";
import { authenticate, bearerScheme } from "../auth.ts";
import { registerAiderIngestRoute } from "./aider.ts";
import { registerHealPlanIngestRoute } from "./heal-plans.ts";
import { registerHeartbeatRoute } from "./heartbeats.ts";

/** Ingest endpoints, bearer `INGEST_TOKEN` (README, HTTP surface). */
export function registerIngestRoutes(
  app: FastifyInstance,
  deps: {
    ingestToken: string | undefined;
    router: EventRouter;
    clock?: Clock;
    /** Heal plans: `POST /api/heal-plans`. */
    heal?: HealService;
    /** Agent heartbeats: `POST /api/heartbeats/:agent`. */
    heartbeats?: HeartbeatService;
    /** aider session watch: `POST /api/aider/events`. */
    aider?: AiderService;
  },
): void {
  const clock = deps.clock ?? systemClock;
  app.register(async (ingest) => {
    // onRequest: the token is checked before the body is read.
    ingest.addHook(
      "onRequest",
      authenticate(bearerScheme("ingest", deps.ingestToken, "INGEST_TOKEN"), app.authLimiter),
    );

    /**
     * Alertmanager webhook v4. Answers 200 only after the events are stored; a database
     * failure falls through to the 5xx handler so Alertmanager retries.
     */
    ingest.post("/webhooks/alertmanager", async (req) => {
      const inputs = parseAlertmanagerWebhook(req.body);
      const results = await deps.router.ingest(inputs);
      return { received: results.length, events: results };
    });

    /**
     * Events from services and agents: one event → 202 `{id, outcome}`; an array → 202
     * `{events: [{id, outcome}, …]}` in input order. Stored before the answer, delivered
     * after it; 400 names the first bad field, nothing is stored then.
     */
    ingest.post("/api/events", async (req, reply) => {
      const { events, batch } = parseApiEvents(req.body, clock);
      const results = await deps.router.ingest(events);
      return reply.code(202).send(batch ? { events: results } : results[0]);
    });

    if (deps.heal) registerHealPlanIngestRoute(ingest, deps.heal);
    if (deps.heartbeats) registerHeartbeatRoute(ingest, deps.heartbeats);
    if (deps.aider) registerAiderIngestRoute(ingest, deps.aider);
  });
}

import type { FastifyInstance } from "fastify";
import type { AiderService } from "../aider/aider-service.ts";
import type { AutonomyService } from "../autonomy/autonomy-service.ts";
import type { TelegramWebhookHandler } from "../bot/webhook-handler.ts";
import type { Config } from "../config.ts";
import type { DashboardModule } from "../dashboard/dashboard-module.ts";
import type { EventRouter } from "../events/event-router.ts";
import type { HealService } from "../heal/heal-service.ts";
import type { HeartbeatService } from "../heartbeats/heartbeat-service.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { MuteService } from "../mutes/mute-service.ts";
import type { OutboxRepository } from "../outbox/outbox-repository.ts";
import type { ProxyModule } from "../proxy/proxy-module.ts";
import type { ReplicaModule } from "../replicas/replica-module.ts";
import type { SmokeStore } from "../smoke/smoke-store.ts";
import type { Clock } from "../types.ts";
import { createHttpDrain, type HttpDrain } from "./drain.ts";
import { registerAdminRoutes } from "./routes/admin.ts";
import { registerHealthRoutes } from "./routes/health.ts";
import { registerIngestRoutes } from "./routes/ingest.ts";
import { registerTelegramWebhook } from "./routes/telegram-webhook.ts";
import { createHttpServer } from "./server.ts";
import { createV1Handler } from "./v1/v1-handler.ts";
import { V1_ROUTES } from "./v1/v1-routes.ts";

/** Dependencies of {@link createHttpModule}: every service an HTTP route serves. */
export interface HttpModuleDeps {
  config: Pick<Config, "adminToken" | "ingestToken" | "reportTimezone" | "telegram">;
  logger: Logger;
  clock: Clock;
  metrics: Metrics;
  /** Database liveness for `/readyz`. */
  ping: () => Promise<void>;
  outbox: OutboxRepository;
  mutes: MuteService;
  router: EventRouter;
  proxy: ProxyModule;
  heartbeats: HeartbeatService;
  aider: AiderService;
  heal: HealService;
  autonomy: AutonomyService;
  smoke: SmokeStore;
  replicas: Pick<ReplicaModule, "list">;
  dashboard: Pick<DashboardModule, "register">;
  /** The bot's webhook handler and secret (src/bot/bot-module.ts), in webhook mode only. */
  telegramWebhook: { handler: TelegramWebhookHandler; secret: string } | undefined;
}

/** The HTTP server with every route registered, and its graceful drain. */
export interface HttpModule {
  http: FastifyInstance;
  drain: HttpDrain;
}

/**
 * Builds the Fastify server and registers health, admin, ingest, dashboard and (in webhook
 * mode) Telegram routes, with the proxy's `/v1` handler in front of Fastify
 * (src/http/v1/v1-handler.ts). Nothing listens until the app starts.
 */
export function createHttpModule(deps: HttpModuleDeps): HttpModule {
  const { config, clock, metrics, outbox, mutes, proxy, heartbeats } = deps;
  const http = createHttpServer(deps.logger);
  const drain = createHttpDrain(http);
  registerHealthRoutes(http, {
    ping: deps.ping,
    metrics,
    refreshGauges: async () => {
      const s = await outbox.stats(clock.now());
      metrics.outboxPending.set(s.pending);
      metrics.outboxDead.set(s.dead);
      metrics.outboxOldest.set(s.oldestPendingMs / 1000);
      metrics.mutesActive.set(mutes.activeCount(clock.now()));
      proxy.refreshGauges();
      heartbeats.refreshGauges();
    },
  });
  registerAdminRoutes(http, {
    adminToken: config.adminToken,
    proxy,
    outbox,
    clock,
    timeZone: config.reportTimezone,
    smoke: deps.smoke,
    heal: deps.heal,
    replicas: () => deps.replicas.list(),
    autonomy: deps.autonomy,
  });
  registerIngestRoutes(http, {
    ingestToken: config.ingestToken,
    router: deps.router,
    clock,
    heal: deps.heal,
    heartbeats,
    aider: deps.aider,
  });
  // The proxy's /v1 surface runs on the raw request, ahead of Fastify (its hot path).
  const v1 = createV1Handler({
    agentKeys: proxy.agentKeys,
    proxy: proxy.proxy,
    limiter: http.authLimiter,
    logger: deps.logger,
    track: drain.track,
    closing: () => http.closing(),
  });
  http.setFront(v1.handle);
  http.routeList.push(...V1_ROUTES);
  deps.dashboard.register(http);
  if (deps.telegramWebhook) registerTelegramWebhook(http, deps.telegramWebhook);
  return { http, drain };
}

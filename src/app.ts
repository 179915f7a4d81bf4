import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { type Database, openDatabase } from "../db/client.ts";
import { createAiderService } from "./aider/aider-service.ts";
import { createAutonomyService } from "./autonomy/autonomy-service.ts";
import { createBotModule } from "./bot/bot-module.ts";
import { packageVersion } from "./build-info.ts";
import type { Config } from "./config.ts";
import { createDashboardModule } from "./dashboard/dashboard-module.ts";
import { createHealService } from "./heal/heal-service.ts";
import { createHeartbeatService } from "./heartbeats/heartbeat-service.ts";
import { type DrainResult, settlesWithin } from "./http/drain.ts";
import { createHttpModule } from "./http/http-module.ts";
import { incidentTags } from "./incidents/incident-ref.ts";
import { createIncidentsModule } from "./incidents/incidents-module.ts";
import type { Logger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { targetsFor } from "./notifications/notification-router.ts";
import { createPublisher } from "./notifications/publisher.ts";
import { createDeliveryModule } from "./outbox/delivery-module.ts";
import type { PacingOptions } from "./outbox/pacer.ts";
import type { TelegramSender } from "./outbox/telegram-sender.ts";
import { createKeyCipher } from "./proxy/key-crypto.ts";
import { resolveEncryptionKey } from "./proxy/key-file.ts";
import { createProxyModule } from "./proxy/proxy-module.ts";
import { createReplicaIdentity } from "./replicas/replica-identity.ts";
import { createReplicaModule } from "./replicas/replica-module.ts";
import { wireReplicas } from "./replicas/replica-wiring.ts";
import { createScheduleModule } from "./scheduler/schedule-module.ts";
import { createStatusService } from "./status/status-service.ts";
import type { Tracing } from "./tracing/tracing-types.ts";
import { type Clock, systemClock } from "./types.ts";

/** What {@link createApp} needs besides the config (CONVENTIONS habit 5). */
export interface AppOptions {
  logger: Logger;
  clock?: Clock;
  /** Replaces the Bot API sender of the outbox (fault tests). */
  sender?: TelegramSender;
  /** An already open database (tests); otherwise one is opened from the config. */
  database?: Database;
  /** Outbox lease in ms (default `OUTBOX_LEASE_S`). */
  outboxLeaseMs?: number;
  /** Outbox pacing (default Telegram's 1/s per chat, 25/s overall); the bench relaxes it. */
  outboxPacing?: PacingOptions;
  /** OpenTelemetry tracing, started by main.ts when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. */
  tracing?: Tracing;
}

/** The composed application. */
export type App = Awaited<ReturnType<typeof createApp>>;

/**
 * Composes the feature modules in dependency order (docs/architecture.md, Modules):
 * database and replicas → proxy → delivery (outbox) → incidents (alert path, escalations,
 * triage) → agents' work (aider, heartbeats, heal, autonomy) → schedules (smoke, reports) →
 * dashboard and status → bot → HTTP. Nothing listens or polls until {@link App.start}.
 */
export async function createApp(config: Config, opts: AppOptions) {
  const { logger } = opts;
  const clock = opts.clock ?? systemClock;
  const startedAt = clock.now();
  const identity = createReplicaIdentity(startedAt, config.revision);
  const database =
    opts.database ??
    (await openDatabase({
      url: config.databaseUrl,
      dataDir: config.databaseUrl ? undefined : config.dataDir,
      applicationName: identity.id,
    }));
  const { db } = database;
  // Replicas on one Postgres (docs/operations.md, Scaling out): membership, roles, changes.
  const replicas = createReplicaModule({
    database,
    identity,
    logger,
    renewMs: config.replicas.renewMs,
  });

  const cipher = createKeyCipher(
    resolveEncryptionKey({ keyHex: config.encryptionKeyHex, dataDir: config.dataDir, logger }),
  );
  const metrics = createMetrics({ version: packageVersion(), revision: config.revision });
  const proxyModule = await createProxyModule({
    db,
    clock,
    logger,
    metrics,
    cipher,
    settings: config.proxy,
    limiter: replicas.limiter,
    tracer: opts.tracing?.proxyTracer,
  });
  const { backends, registry, agentKeys } = proxyModule;
  const delivery = createDeliveryModule({
    db,
    clock,
    logger,
    metrics,
    workerId: identity.id,
    token: config.telegram.token,
    apiRoot: config.telegram.apiRoot,
    sender: opts.sender,
    leaseMs: opts.outboxLeaseMs ?? config.outbox.leaseMs,
    maxAttempts: config.outbox.maxAttempts,
    pacing: opts.outboxPacing,
  });
  const { outbox, worker, onQueued } = delivery;
  // The one way core services queue messages: typed notifications, rendered by one view per kind.
  const publisher = createPublisher({ outbox, clock });
  const incidentsModule = await createIncidentsModule({
    db,
    clock,
    logger,
    metrics,
    config,
    delivery,
    publisher,
    replicas,
    proxy: proxyModule,
    ingestTracer: opts.tracing?.ingestTracer,
  });
  const { notifyRouter, incidents, escalations, triage } = incidentsModule;
  const eventsModule = incidentsModule.events;
  const { router, mutes } = eventsModule;

  const autonomy = createAutonomyService({ db, clock, timeZone: config.reportTimezone });
  const aider = createAiderService({
    db,
    clock,
    logger: logger.child({ component: "aider" }),
    publisher,
    router,
    sessionChats: targetsFor(notifyRouter, "aider_session"),
    timeZone: config.reportTimezone,
    onQueued,
  });
  const heartbeats = await createHeartbeatService({
    db,
    clock,
    logger: logger.child({ component: "heartbeats" }),
    router,
    metrics,
    settings: config.heartbeats,
    startedAt,
  });
  const schedules = createScheduleModule({
    db,
    ping: database.ping,
    clock,
    logger,
    metrics,
    outbox,
    publisher,
    router,
    proxy: proxyModule,
    timeZone: config.reportTimezone,
    settings: config.smoke,
    notifyRouter,
    onQueued,
    runner: `${hostname()}:${process.pid}`,
    reportSections: [aider.reportSection],
    heartbeats: () => heartbeats.stallFacts(),
    autonomy,
    triage: { store: triage.store, summarize: triage.summarize },
  });

  const heal = createHealService({
    db,
    clock,
    logger: logger.child({ component: "heal" }),
    publisher,
    settings: config.heal,
    planChats: targetsFor(notifyRouter, "heal_plan"),
    timeZone: config.reportTimezone,
    onQueued,
    suggestedTemplate: incidentsModule.suggestedTemplate,
  });

  const token = config.telegram.token;
  /** The dashboard Mini App, its browser login and data API (src/dashboard). */
  const dashboard = createDashboardModule({
    settings: config.dashboard,
    botToken: token,
    adminIds: config.telegram.adminIds,
    db,
    clock,
    logger,
    timeZone: config.reportTimezone,
    listenHost: config.host,
    proxy: proxyModule,
    autonomy,
    smoke: schedules.smoke.store,
    agents: () => heartbeats.list(),
    startedAt,
  });
  const status = createStatusService({
    clock,
    startedAt,
    incidents,
    outbox,
    registry,
    mutes,
    botOn: token !== undefined,
    incidentTags: (ids) => incidentTags(db, ids),
    pendingPlans: () => heal.store.inStatus("pending"),
    agents: () => heartbeats.list(),
    liveBackends: () => proxyModule.live(),
    latestSmoke: () => schedules.smoke.store.latest(),
    schedules: schedules.status,
    replicas: () => replicas.list(),
    autonomy: autonomy.window,
  });
  const {
    bot,
    lifecycle: botLifecycle,
    webhook,
  } = createBotModule({
    config,
    cipher,
    replicaId: identity.id,
    pacer: delivery.pacer,
    logger,
    status,
    db,
    clock,
    incidents,
    mutes,
    actions: eventsModule.actions,
    groupActions: eventsModule.groupActions,
    proxy: proxyModule,
    smoke: schedules.smoke,
    digests: schedules.digests,
    aider,
    heal,
    heartbeats,
    dashboard,
    triage: triage.service,
    symptoms: triage.memory,
    notifyRouter,
  });
  const { http, drain } = createHttpModule({
    config,
    logger,
    clock,
    metrics,
    ping: database.ping,
    outbox,
    mutes,
    router,
    proxy: proxyModule,
    heartbeats,
    aider,
    heal,
    autonomy,
    smoke: schedules.smoke.store,
    replicas,
    dashboard,
    telegramWebhook: webhook,
  });

  wireReplicas(replicas, {
    reloadBackends: () => proxyModule.reloadBackends(),
    reloadAgentKeys: () => agentKeys.reload(),
    syncCooldowns: () => proxyModule.syncCooldowns(),
    reloadMutes: () => mutes.reload(),
    refreshAgents: (names) => heartbeats.refresh(names),
    setWatching: (on) => heartbeats.setWatching(on),
    setEscalating: (on) => escalations.setRunning(on),
    setPolling:
      botLifecycle && !config.telegram.webhookUrl ? (on) => botLifecycle.setPolling(on) : undefined,
  });
  let stopping: Promise<void> | undefined;
  const logDrain = (r: DrainResult) => {
    if (r.drained) logger.info("HTTP drained");
    else logger.warn({ cut: r.cut, forced: r.forced }, "HTTP drain: grace over; cut what was left");
  };

  return {
    config,
    database,
    http,
    bot,
    worker,
    router,
    backends,
    /** Agent keys: the proxy keys agents call with (`/api/admin/agents`). */
    agentKeys,
    outbox,
    incidents,
    mutes,
    actions: eventsModule.actions,
    registry,
    proxyModule,
    metrics,
    status,
    /** Smoke checks, reports, digests and the scheduler. */
    schedules,
    /** Heal plans: proposals, decisions, guarded execution, audit. */
    heal,
    /** Agent heartbeats and their stall watchdog. */
    heartbeats,
    /** aider session watch: events, sessions, session messages. */
    aider,
    /** This replica among those on one Postgres: membership, roles, change feed. */
    replicas,
    /** The dashboard Mini App and its data API. */
    dashboard,
    /** AI triage through the proxy, symptom memory, report summaries. */
    triage,
    /** The autonomy index (reports, /status, `/api/admin/stats/autonomy`, dashboard). */
    autonomy,
    /** Notification routes (`NOTIFY_ROUTES`): where each kind and label set goes. */
    notifyRouter,
    /** Escalation and repeat of unacknowledged alerts; `tick()` runs one pass. */
    escalations,

    /**
     * Joins the replicas (membership, change feed, roles), listens on HTTP, starts the bot
     * and the outbox worker. Returns the bound port.
     */
    async start(): Promise<number> {
      await replicas.start(config.port);
      await http.listen({ port: config.port, host: config.host });
      const port = (http.server.address() as AddressInfo).port;
      if (!token)
        logger.info("bot off: TELEGRAM_BOT_TOKEN unset; deliveries stay queued until it is set");
      worker?.start();
      proxyModule.start();
      schedules.start();
      heartbeats.start();
      void aider.drainRoutes();
      await heal.start();
      await botLifecycle?.start();
      if (port !== config.port) await replicas.setPort(port);
      return port;
    },

    /**
     * Graceful stop (src/http/drain.ts): HTTP stops accepting at once while the scheduler,
     * the bot and the outbox worker stop (releasing its unsent claims); requests, streams
     * and heal runs in flight get `graceMs` (`SHUTDOWN_GRACE_S`) to finish, then streams end
     * with an error event and fixers are killed; then heartbeats, proxy (usage flushed) and
     * database. Safe to call twice.
     */
    stop(graceMs = config.shutdownGraceMs): Promise<void> {
      stopping ??= (async () => {
        const httpClosed = drain.close(graceMs);
        // Requests waiting for a backend get their 503 (shutting_down) now, not at the end of
        // the drain.
        proxyModule.queue.close();
        // Roles first, so another replica polls Telegram and watches heartbeats at once.
        if (!(await settlesWithin(replicas.stop(), 5000)))
          logger.warn("leaving the replicas took over 5 s; the locks end with the session");
        await Promise.all([schedules.stop(), botLifecycle?.stop(), triage.service.stop()]);
        if (worker && !(await settlesWithin(worker.stop(), graceMs)))
          logger.warn("outbox worker still sending; its claim ends with the lease");
        const [result] = await Promise.all([httpClosed, heal.stop(graceMs)]);
        logDrain(result);
        await heartbeats.stop();
        await proxyModule.stop();
        await database.close();
        await opts.tracing?.shutdown();
      })();
      return stopping;
    },
  };
}

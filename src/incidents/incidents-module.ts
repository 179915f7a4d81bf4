import type { Db } from "../../db/client.ts";
import type { Config } from "../config.ts";
import { createEventsModule, type EventsModule } from "../events/events-module.ts";
import type { SharedWorkTracer } from "../events/group-commit.ts";
import { templateFor } from "../heal/plan-templates.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import { createSilenceClient } from "../mutes/alertmanager-silences.ts";
import { createEscalationStore } from "../notifications/escalation-store.ts";
import { createEscalations, type Escalations } from "../notifications/escalations.ts";
import {
  createNotificationRouter,
  type NotificationRouter,
} from "../notifications/notification-router.ts";
import type { Publisher } from "../notifications/publisher.ts";
import type { DeliveryModule } from "../outbox/delivery-module.ts";
import type { ProxyModule } from "../proxy/proxy-module.ts";
import type { ReplicaModule } from "../replicas/replica-module.ts";
import {
  createTriageModule,
  createTriageReads,
  type TriageModule,
} from "../triage/triage-module.ts";
import type { Clock } from "../types.ts";
import { createIncidentService, type IncidentService } from "./incident-service.ts";

/** Dependencies of {@link createIncidentsModule}. */
export interface IncidentsModuleDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  config: Pick<
    Config,
    | "notifications"
    | "telegram"
    | "events"
    | "heal"
    | "triage"
    | "reportTimezone"
    | "alertmanagerUrl"
  >;
  /** Wakes the outbox worker after a commit that queued deliveries. */
  delivery: Pick<DeliveryModule, "onQueued">;
  /** Every alert message is rendered and queued through it (src/notifications/publisher.ts). */
  publisher: Publisher;
  /** Mute changes are heard from other replicas through its change feed. */
  replicas: Pick<ReplicaModule, "shared" | "feed">;
  /** AI triage asks the model through the proxy. */
  proxy: ProxyModule;
  /** Spans of ingest transactions shared by several webhooks (tracing on). */
  ingestTracer?: SharedWorkTracer | undefined;
}

/**
 * The path of an alert (docs/architecture.md): notification routes, incidents, the event
 * router with mutes and alert messages, escalations, and AI triage.
 */
export interface IncidentsModule {
  /** Notification routes (`NOTIFY_ROUTES`): where each kind and label set goes. */
  notifyRouter: NotificationRouter;
  incidents: IncidentService;
  events: EventsModule;
  /** Escalation and repeat of unacknowledged alerts. */
  escalations: Escalations;
  triage: TriageModule;
  /** The plan template a triage suggested for an alert (heal plans read it). */
  suggestedTemplate: ReturnType<typeof createTriageReads>["suggestedTemplate"];
}

/**
 * Builds the alert path. AI triage: its reads come first (alert messages show triages), the
 * service after the alert path it edits; the router reaches it through a late binding.
 */
export async function createIncidentsModule(deps: IncidentsModuleDeps): Promise<IncidentsModule> {
  const { db, clock, logger, metrics, config, delivery, replicas } = deps;
  // Where every notification goes: NOTIFY_ROUTES, else TELEGRAM_ALERT_CHAT_IDS.
  const notifyRouter = createNotificationRouter({
    routes: config.notifications.routes,
    alertChatIds: () => config.telegram.alertChatIds,
  });
  const escalationStore = createEscalationStore(db);
  const incidents = createIncidentService({ db, clock });
  const triageReads = createTriageReads(db);
  let triage: TriageModule | undefined;
  const events = await createEventsModule({
    db,
    clock,
    logger,
    metrics,
    publisher: deps.publisher,
    incidents,
    notifyRouter,
    escalations: escalationStore,
    timeZone: config.reportTimezone,
    windows: config.events.dedupWindowsMs,
    onQueued: delivery.onQueued,
    planTemplateFor: (labels) => templateFor(config.heal.templates, labels)?.template.name,
    muteVersion: replicas.shared ? (tx) => replicas.feed.version("mutes", tx) : undefined,
    oneWriter: !replicas.shared,
    ingestTracer: deps.ingestTracer,
    silences: config.alertmanagerUrl
      ? createSilenceClient({ baseUrl: config.alertmanagerUrl })
      : undefined,
    triageFor: triageReads.triageFor,
    triagesFor: triageReads.triagesFor,
    onIncidentsOpened: (alertIds) => triage?.service.onIncidentsOpened(alertIds),
  });
  const escalations = createEscalations({
    db,
    clock,
    logger: logger.child({ component: "escalations" }),
    store: escalationStore,
    alerts: events.alerts,
    notifier: events.notifier,
    router: notifyRouter,
    onQueued: delivery.onQueued,
    tickMs: config.notifications.tickMs,
  });
  triage = createTriageModule({
    db,
    clock,
    logger,
    settings: config.triage,
    store: triageReads.store,
    proxy: deps.proxy.proxy,
    templates: config.heal.templates,
    alerts: events.alerts,
    notifier: events.notifier,
    timeZone: config.reportTimezone,
    onQueued: delivery.onQueued,
  });
  return {
    notifyRouter,
    incidents,
    events,
    escalations,
    triage,
    suggestedTemplate: triageReads.suggestedTemplate,
  };
}

import type { Db, DbOrTx } from "../../db/client.ts";
import { createGroupActions } from "../incidents/group-actions.ts";
import { createIncidentActions } from "../incidents/incident-actions.ts";
import type { IncidentService } from "../incidents/incident-service.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { SilenceClient } from "../mutes/alertmanager-silences.ts";
import { createMuteService } from "../mutes/mute-service.ts";
import type { Publisher } from "../notifications/publisher.ts";
import type { Clock } from "../types.ts";
import { type AlertNotifierDeps, createAlertNotifier } from "./alert-notifier.ts";
import { createAlertRepository } from "./alert-repository.ts";
import { createEventRouter } from "./event-router.ts";
import type { SharedWorkTracer } from "./group-commit.ts";
import type { DedupWindows } from "./routing.ts";

/** Dependencies of {@link createEventsModule}, all built before it in src/app.ts. */
export interface EventsModuleDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Renders alert notifications and queues their deliveries (src/notifications). */
  publisher: Publisher;
  incidents: IncidentService;
  /** Where alerts go (src/notifications). */
  notifyRouter: AlertNotifierDeps["notifyRouter"];
  /** Escalation and repeat timers (src/notifications/escalation-store.ts). */
  escalations: AlertNotifierDeps["escalations"];
  timeZone: string;
  windows: DedupWindows;
  /** Wakes the outbox worker after a commit that queued deliveries. */
  onQueued: () => void;
  /** Name of the plan template matching an alert's labels (alert-notifier.ts). */
  planTemplateFor?: (labels: Readonly<Record<string, string>>) => string | undefined;
  /** The latest triage of an alert (src/triage/triage-store.ts `latestFor`). */
  triageFor?: AlertNotifierDeps["triageFor"];
  /** The same for many alerts in one read (batched redraws of an ingest). */
  triagesFor?: AlertNotifierDeps["triagesFor"];
  /** Called after a commit with the alerts that opened new incidents (automatic triage). */
  onIncidentsOpened?: (alertIds: string[]) => void;
  /** Stored version of the mutes table, shared by replicas (src/mutes/mute-service.ts). */
  muteVersion?: (tx: DbOrTx) => Promise<number>;
  /** Alertmanager's silences API (`ALERTMANAGER_URL`): mutes become silences there too. */
  silences?: SilenceClient;
  /** The database runs one transaction at a time (PGlite): ingest takes no locks. */
  oneWriter?: boolean;
  /** Spans of ingest transactions shared by several webhooks (tracing on). */
  ingestTracer?: SharedWorkTracer | undefined;
}

/** The EventRouter and what the bot needs beside it (mutes, button actions). */
export type EventsModule = Awaited<ReturnType<typeof createEventsModule>>;

/**
 * Builds the alert path (docs/architecture.md, The path of an alert): alert repository, notifier, mutes (their
 * cache is loaded here), the router and the incident actions behind the buttons.
 */
export async function createEventsModule(deps: EventsModuleDeps) {
  const alerts = createAlertRepository(deps.db, { oneWriter: deps.oneWriter ?? false });
  const notifier = createAlertNotifier(deps);
  const mutes = await createMuteService({
    db: deps.db,
    clock: deps.clock,
    version: deps.muteVersion,
    silences: deps.silences,
  });
  const router = createEventRouter({ ...deps, alerts, notifier, mutes });
  const actions = createIncidentActions({ ...deps, alerts, notifier, mutes });
  const groups = notifier.groupStore;
  const groupActions = createGroupActions({ ...deps, alerts, notifier, mutes, actions, groups });
  return { alerts, notifier, mutes, router, actions, groupActions };
}

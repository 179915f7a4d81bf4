import type { Db } from "../../db/client.ts";
import type { AutonomyService } from "../autonomy/autonomy-service.ts";
import type { EventRouter } from "../events/event-router.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { NotificationRouter } from "../notifications/notification-router.ts";
import type { Publisher } from "../notifications/publisher.ts";
import type { OutboxRepository } from "../outbox/outbox-repository.ts";
import type { ProxyModule } from "../proxy/proxy-module.ts";
import { createDigests } from "../reports/digests.ts";
import { createReportSource, type ReportSectionProvider } from "../reports/report-source.ts";
import type { ReportData } from "../reports/report-types.ts";
import type { SmokeSettings } from "../smoke/smoke-config.ts";
import type { SmokeProbeDeps } from "../smoke/smoke-probes.ts";
import { createSmokeService } from "../smoke/smoke-service.ts";
import { createSmokeStore } from "../smoke/smoke-store.ts";
import type { TriageStore } from "../triage/triage-store.ts";
import type { Clock } from "../types.ts";
import { createJobHandlers } from "./jobs.ts";
import { createScheduleRuns } from "./schedule-runs.ts";
import { scheduleStatus } from "./schedule-status.ts";
import { createScheduler } from "./scheduler.ts";

/** Dependencies of {@link createScheduleModule}, all built before it in src/app.ts. */
export interface ScheduleModuleDeps {
  db: Db;
  /** Database round trip (src/db Database `ping`). */
  ping: () => Promise<void>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Delivery stats for the smoke check of the outbox. */
  outbox: Pick<OutboxRepository, "stats">;
  /** Renders digests and smoke summaries and queues their deliveries (src/notifications). */
  publisher: Publisher;
  router: Pick<EventRouter, "ingest">;
  proxy: Pick<ProxyModule, "live" | "flusher" | "usageStore" | "cooldowns">;
  timeZone: string;
  settings: SmokeSettings;
  /** Where digests and smoke summaries go (kinds `digest`, `smoke_summary`). */
  notifyRouter: Pick<NotificationRouter, "route">;
  onQueued: () => void;
  /** `host:pid` of this replica. */
  runner: string;
  /** Extra report sections from other modules (aider sessions, for one). */
  reportSections?: ReportSectionProvider[];
  /** Stall facts for the heartbeats smoke check (HeartbeatService `stallFacts`). */
  heartbeats?: SmokeProbeDeps["heartbeats"];
  /** The autonomy index and its trend, for reports. */
  autonomy: Pick<AutonomyService, "window" | "series">;
  /** Triage counts for reports, and the model-written summary that opens them. */
  triage?: {
    store: Pick<TriageStore, "counts">;
    summarize: (d: ReportData) => Promise<string | undefined>;
  };
}

/** Smoke checks, reports, digests and the scheduler that runs them. */
export type ScheduleModule = ReturnType<typeof createScheduleModule>;

/** Builds the smoke service, report source, digests and scheduler. Nothing starts here. */
export function createScheduleModule(deps: ScheduleModuleDeps) {
  const { db, clock, timeZone } = deps;
  const runs = createScheduleRuns(db);
  const store = createSmokeStore(db);
  const smoke = createSmokeService({
    db,
    ping: deps.ping,
    outbox: deps.outbox,
    backends: () => deps.proxy.live(),
    runs,
    clock,
    timeZone,
    thresholds: deps.settings.thresholds,
    scheduleSince: clock.now(),
    heartbeats: deps.heartbeats,
    store,
    router: deps.router,
    logger: deps.logger,
    metrics: deps.metrics,
  });
  const reports = createReportSource({
    db,
    usage: async (w) => {
      await deps.proxy.flusher.flush();
      return deps.proxy.usageStore.range(w.from, w.to);
    },
    cooldownsSince: (from) => deps.proxy.cooldowns.since(from),
    smoke: store,
    autonomy: deps.autonomy,
    triage: deps.triage?.store,
    timeZone,
    sections: deps.reportSections,
  });
  const digests = createDigests({
    publisher: deps.publisher,
    clock,
    reports,
    smoke: store,
    timeZone,
    onQueued: deps.onQueued,
    summarize: deps.triage?.summarize,
  });
  const scheduler = createScheduler({
    runs,
    handlers: createJobHandlers({
      smoke,
      digests,
      runs,
      chatIds: (kind, report) => deps.notifyRouter.route(kind, report ? { report } : {}).chats,
      retentionDays: deps.settings.retentionDays,
    }),
    clock,
    logger: deps.logger,
    metrics: deps.metrics,
    timeZone,
    runner: deps.runner,
  });
  return {
    runs,
    smoke,
    reports,
    digests,
    scheduler,
    /** The schedules part of /status. */
    status: () => scheduleStatus(runs, { timeZone, enabled: deps.settings.schedulerEnabled }),
    /** Starts the cron triggers unless `SCHEDULER_ENABLED=false`. */
    start(): void {
      if (deps.settings.schedulerEnabled) scheduler.start();
    },
    stop: () => scheduler.stop(),
  };
}

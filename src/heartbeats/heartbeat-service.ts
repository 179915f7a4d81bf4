import type { Db } from "../../db/client.ts";
import type { AgentBeatRow } from "../../db/schema/index.ts";
import { coerceError } from "../errors.ts";
import type { EventRouter } from "../events/event-router.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { Clock } from "../types.ts";
import { type AgentClass, DEFAULT_CLASS } from "./agent-classes.ts";
import { createAgentRegistry } from "./agent-registry.ts";
import { type AgentViews, agentViews } from "./agent-views.ts";
import { createBeatRecorder } from "./beat-recorder.ts";
import type { HeartbeatSettings } from "./heartbeat-config.ts";
import { createHeartbeatStore } from "./heartbeat-store.ts";
import { createWatchdog } from "./watchdog.ts";

/** Dependencies of {@link createHeartbeatService}. */
export interface HeartbeatServiceDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  router: Pick<EventRouter, "ingest">;
  metrics: Pick<Metrics, "agents" | "agentLastBeatAge">;
  settings: HeartbeatSettings;
  /** Process start: silence before it is not counted (see AgentRegistry.load). */
  startedAt: Date;
}

/** Beats older than this are deleted by the hourly retention sweep (7 days). */
export const BEAT_RETENTION_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

/** Agent heartbeats: beats, the stall watchdog, views for the bot, smoke and metrics. */
export type HeartbeatService = Awaited<ReturnType<typeof createHeartbeatService>>;

/**
 * Builds the heartbeat service and loads every known agent from `agent_states`. Nothing
 * runs until {@link HeartbeatService.start}: then beats older than 7 days are deleted every
 * hour, and the watchdog evaluates every `AGENT_WATCHDOG_INTERVAL_S` while this replica
 * holds the watchdog role ({@link HeartbeatService.setWatching}). Beats are taken by any
 * replica; the others learn of them through {@link HeartbeatService.refresh}.
 */
export async function createHeartbeatService(deps: HeartbeatServiceDeps) {
  const { clock, settings } = deps;
  const log = deps.logger;
  const store = createHeartbeatStore(deps.db);
  const registry = createAgentRegistry();
  registry.load(await store.loadAll(), deps.startedAt);
  const classOf = (name: string): AgentClass =>
    settings.classes[name] ?? (settings.classes[DEFAULT_CLASS] as AgentClass);
  const watchdog = createWatchdog({
    registry,
    store,
    router: deps.router,
    classOf,
    clock,
    logger: log,
    startedAt: deps.startedAt,
  });
  const views: AgentViews = agentViews({ registry, classOf, clock });
  const record = createBeatRecorder({
    db: deps.db,
    store,
    registry,
    router: deps.router,
    classOf,
    clock,
    classes: settings.classes,
  });
  let timers: NodeJS.Timeout[] = [];
  let ticking: Promise<unknown> | undefined;
  /** True while this replica holds the watchdog role (src/replicas/role-elector.ts). */
  let watching = false;

  /** Re-reads agents another replica changed (`names`), or every agent, into memory. */
  async function refresh(names?: ReadonlySet<string>): Promise<void> {
    if (!names) {
      const rows = await store.loadAll();
      await Promise.all(
        rows.map((r) =>
          registry.withAgent(r.name, async () => registry.refresh(r, deps.startedAt)),
        ),
      );
      return;
    }
    await Promise.all(
      [...names].map((name) =>
        registry.withAgent(name, async () => {
          const row = await store.get(name);
          if (row) registry.refresh(row, deps.startedAt);
        }),
      ),
    );
  }

  async function prune(): Promise<number> {
    return store.pruneBefore(new Date(clock.now().getTime() - BEAT_RETENTION_MS));
  }

  function tick(): void {
    if (ticking || !watching) return; // the previous evaluation is still running
    ticking = watchdog
      .evaluate()
      .catch((err: unknown) => log.error({ err: coerceError(err).message }, "watchdog failed"))
      .finally(() => {
        ticking = undefined;
      });
  }

  return {
    classes: settings.classes,
    classOf,
    /**
     * Handles `POST /api/heartbeats/:agent`.
     * @throws InputError (400) naming the bad field; database or router errors propagate (5xx).
     */
    beat: record,
    /** One watchdog evaluation now (the timer calls it; tests call it after moving the clock). */
    evaluate: () => watchdog.evaluate(),
    /** Re-reads agents other replicas changed (all of them without `names`). */
    refresh,
    /**
     * Turns this replica's watchdog on or off (it runs on the one replica holding the
     * watchdog role). On: every agent is re-read first, then evaluated at once, so a
     * failover raises what is due without waiting for the next interval.
     */
    async setWatching(on: boolean): Promise<void> {
      watching = on;
      if (!on) {
        await ticking;
        return;
      }
      await refresh();
      tick();
      await ticking;
    },
    /** Deletes beats older than {@link BEAT_RETENTION_MS}; returns how many. */
    prune,
    ...views,
    /** The newest `limit` beats of `agent` (Details in /agents). */
    recentBeats: (agent: string, limit = 8): Promise<AgentBeatRow[]> =>
      store.recentBeats(agent, limit),
    /** Sets `commandpost_agents{state}` and `commandpost_agent_last_beat_age_seconds{agent}`. */
    refreshGauges(): void {
      const { byState, ages } = views.gaugeValues();
      for (const [state, n] of Object.entries(byState)) deps.metrics.agents.set({ state }, n);
      deps.metrics.agentLastBeatAge.reset();
      for (const [agent, s] of ages) deps.metrics.agentLastBeatAge.set({ agent }, s);
    },
    /** Starts the watchdog and the retention sweep. */
    start(): void {
      if (timers.length > 0) return;
      timers = [
        setInterval(tick, settings.watchdogIntervalMs),
        setInterval(() => {
          prune().catch((err: unknown) =>
            log.warn({ err: coerceError(err).message }, "beat retention failed"),
          );
        }, PRUNE_EVERY_MS),
      ];
      for (const t of timers) t.unref();
    },
    /** Stops the timers and waits for a running evaluation and queued beats. */
    async stop(): Promise<void> {
      for (const t of timers) clearInterval(t);
      timers = [];
      await ticking;
      await registry.drain();
    },
  };
}

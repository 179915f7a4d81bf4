import type { Db, DbOrTx } from "../../db/client.ts";
import type { AgentBeatRow, AgentStateRow } from "../../db/schema/index.ts";
import { coerceError } from "../errors.ts";
import type { EventInput } from "../events/event.ts";
import type { EventRouter } from "../events/event-router.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { Clock } from "../types.ts";
import { type AgentClass, DEFAULT_CLASS } from "./agent-classes.ts";
import { createAgentRegistry } from "./agent-registry.ts";
import { applyBeat, type BeatOutcome } from "./agent-state.ts";
import { type AgentViews, agentViews } from "./agent-views.ts";
import type { HeartbeatSettings } from "./heartbeat-config.ts";
import { type AgentAlertKind, agentEvent } from "./heartbeat-events.ts";
import { parseBeat } from "./heartbeat-schema.ts";
import { createHeartbeatStore, StaleAgentStateError } from "./heartbeat-store.ts";
import { createWatchdog } from "./watchdog.ts";

/** What a beat is answered with (issue 8, item 1). */
export type BeatAnswer = { action: "continue" } | { action: "pause"; reason: string };

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

/** Tries of a beat whose stored state kept changing under it (another replica's beats). */
const BEAT_TRIES = 5;

/** The events one beat raises and resolves, in that order. */
function beatEvents(prev: AgentStateRow | undefined, o: BeatOutcome, cls: AgentClass, now: Date) {
  const out: EventInput[] = [];
  const ev = (kind: AgentAlertKind, status: "firing" | "resolved", state = o.next) =>
    out.push(agentEvent(kind, status, { state, cls }, now));
  if (prev && o.clearedStall !== "none") {
    ev("stalled", "resolved", prev);
    if (o.clearedStall === "escalated") ev("escalated", "resolved", prev);
  }
  if (prev && o.endedTask) {
    if (o.endedTask.warned) ev("rounds_high", "resolved", prev);
    if (o.endedTask.paused) ev("max_rounds", "resolved", prev);
  }
  if (o.roundsWarning) ev("rounds_high", "firing");
  if (o.maxRounds) ev("max_rounds", "firing");
  return out;
}

/** Why a beat is answered `pause`: the round, the limit and its class, the task. */
function pauseReason(o: BeatOutcome, cls: AgentClass): string {
  const on = o.next.task ? `task "${o.next.task}"` : "the current work";
  return `max rounds reached: round ${o.next.round} of ${cls.maxRounds} (class ${cls.name}) on ${on}; start a new task or wait for a person`;
}

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
  let timers: NodeJS.Timeout[] = [];
  let ticking: Promise<unknown> | undefined;
  /** True while this replica holds the watchdog role (src/replicas/role-elector.ts). */
  let watching = false;

  /**
   * Stores a parsed beat; raises and resolves its events in the same transaction. The state
   * it starts from is read from the database, not from memory: with several replicas the
   * agent's previous beat, or the watchdog's verdict, may have been taken by another one.
   * When that state changes before the beat is stored, the beat is decided again.
   */
  async function record(agent: string, body: unknown): Promise<BeatAnswer> {
    const beat = parseBeat(agent, body, settings.classes);
    return registry.withAgent(beat.agent, async () => {
      for (let attempt = 1; ; attempt++) {
        const prev = await store.get(beat.agent);
        const cls = classOf(beat.class ?? prev?.class ?? DEFAULT_CLASS);
        const now = clock.now();
        const o = applyBeat(prev, beat, cls, now);
        const events = beatEvents(prev, o, cls, now);
        const write = async (tx: DbOrTx) => {
          if (!(await store.recordBeat(o.next, prev, tx))) throw new StaleAgentStateError(agent);
        };
        try {
          if (events.length > 0) await deps.router.ingest(events, { within: write });
          else await write(deps.db);
        } catch (err) {
          if (err instanceof StaleAgentStateError && attempt < BEAT_TRIES) continue;
          throw err;
        }
        registry.set({ ...o.next, watchFrom: now });
        return o.pause ? { action: "pause", reason: pauseReason(o, cls) } : { action: "continue" };
      }
    });
  }

  /** Re-reads agents another replica changed (`names`), or every agent, into memory. */
  async function refresh(names?: ReadonlySet<string>): Promise<void> {
    if (!names) {
      const rows = await store.loadAll();
      await Promise.all(
        rows.map((r) => registry.withAgent(r.name, async () => registry.load([r], deps.startedAt))),
      );
      return;
    }
    await Promise.all(
      [...names].map((name) =>
        registry.withAgent(name, async () => {
          const row = await store.get(name);
          if (row) registry.load([row], deps.startedAt);
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

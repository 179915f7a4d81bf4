import type { Db } from "../../db/client.ts";
import type { AgentBeatRow } from "../../db/schema/index.ts";
import { coerceError } from "../errors.ts";
import type { EventInput } from "../events/event.ts";
import type { EventRouter } from "../events/event-router.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { Clock } from "../types.ts";
import { type AgentClass, DEFAULT_CLASS } from "./agent-classes.ts";
import { createAgentRegistry } from "./agent-registry.ts";
import { type AgentMemo, applyBeat, type BeatOutcome } from "./agent-state.ts";
import { type AgentViews, agentViews } from "./agent-views.ts";
import type { HeartbeatSettings } from "./heartbeat-config.ts";
import { type AgentAlertKind, agentEvent } from "./heartbeat-events.ts";
import { parseBeat } from "./heartbeat-schema.ts";
import { createHeartbeatStore } from "./heartbeat-store.ts";
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

/** The events one beat raises and resolves, in that order. */
function beatEvents(prev: AgentMemo | undefined, o: BeatOutcome, cls: AgentClass, now: Date) {
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
 * Builds the heartbeat service and loads every known agent from `agent_states` (issue 8).
 * Nothing runs until {@link HeartbeatService.start}: then the watchdog evaluates every
 * `AGENT_WATCHDOG_INTERVAL_S` and beats older than 7 days are deleted every hour.
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
  });
  const views: AgentViews = agentViews({ registry, classOf, clock });
  let timers: NodeJS.Timeout[] = [];
  let ticking: Promise<unknown> | undefined;

  /** Stores a parsed beat; raises and resolves its events first (see beatEvents). */
  async function record(agent: string, body: unknown): Promise<BeatAnswer> {
    const beat = parseBeat(agent, body, settings.classes);
    return registry.withAgent(beat.agent, async () => {
      const prev = registry.get(beat.agent);
      const cls = classOf(beat.class ?? prev?.class ?? DEFAULT_CLASS);
      const now = clock.now();
      const o = applyBeat(prev, beat, cls, now);
      const events = beatEvents(prev, o, cls, now);
      // Events first: if storing the state then fails, the agent gets a 5xx and beats again;
      // the router deduplicates what it already raised.
      if (events.length > 0) await deps.router.ingest(events);
      await store.recordBeat(o.next);
      registry.set({ ...o.next, watchFrom: now });
      return o.pause ? { action: "pause", reason: pauseReason(o, cls) } : { action: "continue" };
    });
  }

  async function prune(): Promise<number> {
    return store.pruneBefore(new Date(clock.now().getTime() - BEAT_RETENTION_MS));
  }

  function tick(): void {
    if (ticking) return; // the previous evaluation is still running
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

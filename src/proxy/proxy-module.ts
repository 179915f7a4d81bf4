import type { Db } from "../../db/client.ts";
import { coerceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { Clock, Pool } from "../types.ts";
import { POOLS } from "../types.ts";
import { createAgentKeyService } from "./agent-keys.ts";
import { BackendRuntime } from "./backend-runtime.ts";
import { type BackendView, createBackendService } from "./backend-service.ts";
import { createCapacitySignal } from "./capacity-signal.ts";
import { createCooldownStore } from "./cooldown-store.ts";
import { createCooldownSync } from "./cooldown-sync.ts";
import { createHealthProber, probeBackend } from "./health-probe.ts";
import type { KeyCipher } from "./key-crypto.ts";
import { createProxyService } from "./proxy-service.ts";
import type { ProxyTracer } from "./proxy-tracer.ts";
import { createBackendRegistry } from "./registry.ts";
import { createResponseAffinity } from "./response-affinity.ts";
import type { RpmLimiter } from "./rpm-limiter.ts";
import { createUpstreamClient } from "./upstream.ts";
import { UsageAggregator } from "./usage.ts";
import { createUsageFlusher, createUsageStore } from "./usage-store.ts";
import { createWaitQueue } from "./wait-queue.ts";

/** Proxy tuning from the config (README, Configuration: `PROXY_*`, `USAGE_FLUSH_INTERVAL_S`). */
export interface ProxySettings {
  cooldownBaseS: number;
  cooldownMaxS: number;
  healthIntervalMs: number;
  usageFlushMs: number;
  /** Wait queue: requests held at most (`PROXY_QUEUE_MAX`). */
  queueMax: number;
  /** Wait queue: longest wait of one request, ms (`PROXY_QUEUE_TIMEOUT_S`; 0 = no waiting). */
  queueTimeoutMs: number;
}

/** A backend with its live routing state, for /backends, /api/admin/pools and /metrics. */
export interface BackendLive extends BackendView {
  /** End of the running cooldown (ISO), or null. */
  cooldown_until: string | null;
  /** RPM use 0..1 (token bucket). */
  rpm_use: number;
}

/** The proxy and everything it needs, built once in app.ts. */
export type ProxyModule = Awaited<ReturnType<typeof createProxyModule>>;

/** Builds backends, agent keys, registry, runtime state, usage, cooldowns, prober, proxy. */
export async function createProxyModule(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  cipher: KeyCipher;
  settings: ProxySettings;
  /** The replicas' shared RPM limiter (Postgres); default: a token bucket per backend here. */
  limiter?: RpmLimiter;
  /** OpenTelemetry spans for upstream attempts; only when tracing is on. */
  tracer?: ProxyTracer;
}) {
  const { db, clock, logger, metrics } = deps;
  const log = logger.child({ component: "proxy" });
  const backends = createBackendService({ db, clock, cipher: deps.cipher });
  const registry = await createBackendRegistry({ backends, logger: log });
  const agentKeys = await createAgentKeyService({ db, clock });
  const runtime = new BackendRuntime(
    { baseS: deps.settings.cooldownBaseS, maxS: deps.settings.cooldownMaxS },
    deps.limiter,
  );
  const upstream = createUpstreamClient();
  const usage = new UsageAggregator();
  const usageStore = createUsageStore(db);
  const flusher = createUsageFlusher({
    aggregator: usage,
    store: usageStore,
    intervalMs: deps.settings.usageFlushMs,
    logger: log,
  });
  const cooldowns = createCooldownStore(db);
  // Cooldowns outlive a restart of every replica: the running ones are loaded from their rows.
  const cooldownSync = createCooldownSync({ store: cooldowns, table: runtime.cooldowns, clock });
  await cooldownSync.load();
  const queue = createWaitQueue({
    settings: { maxSize: deps.settings.queueMax, timeoutMs: deps.settings.queueTimeoutMs },
    clock,
    onWaited: (seconds, outcome) => metrics.proxyQueueWait.observe({ outcome }, seconds),
  });
  /** "A backend may have freed up": wakes the wait queue (also for replicas' news). */
  const capacity = createCapacitySignal();
  capacity.subscribe(() => queue.wake());
  backends.onChange(() => capacity.notify());
  // Tokens leased from the replicas' shared RPM bucket may be what a waiting request needs.
  runtime.onRefill(() => capacity.notify());
  const proxy = createProxyService({
    registry,
    runtime,
    upstream,
    usage,
    clock,
    logger: log,
    metrics,
    queue,
    queueTimeoutMs: deps.settings.queueTimeoutMs,
    affinity: createResponseAffinity(),
    tracer: deps.tracer,
    onCooldown: (c, backend, reason) => {
      log.warn(
        { backend: backend.name, until: c.endsAt, strike: c.strike, retryAfterS: c.retryAfterS },
        "backend cooling down",
      );
      cooldownSync
        .track(c.backendId, () => cooldowns.record(c, backend.name, reason))
        .catch((err) => log.error({ err: coerceError(err).message }, "recording cooldown failed"));
    },
  });
  const prober = createHealthProber({
    registry,
    runtime,
    upstream,
    logger: log,
    intervalMs: deps.settings.healthIntervalMs,
    onChange: (b, state) => {
      if (state !== "down") capacity.notify();
      return backends.setState(b.id, state);
    },
  });

  /** Backends with live state (cooldown, RPM use, probed health). */
  async function live(): Promise<BackendLive[]> {
    const nowMs = clock.now().getTime();
    return (await backends.list()).map((v) => {
      const rt = registry.get(v.id);
      const end = runtime.cooldowns.endsAt(v.id, nowMs);
      return {
        ...v,
        state: rt ? runtime.stateOf(rt) : v.state,
        cooldown_until: end ? new Date(end).toISOString() : null,
        rpm_use: rt ? Math.round(runtime.utilisation(rt, nowMs) * 100) / 100 : 0,
      };
    });
  }

  return {
    backends,
    registry,
    /** Agent keys: the proxy keys agents call with (`/api/admin/agents`). */
    agentKeys,
    runtime,
    proxy,
    usageStore,
    flusher,
    cooldowns,
    prober,
    live,
    /** Re-reads the stored cooldowns (another replica started or cleared one). */
    syncCooldowns: async () => {
      await cooldownSync.load();
      capacity.notify(); // one may have been cleared
    },
    /** Re-reads the backends (another replica changed one); waiting requests look again. */
    reloadBackends: async () => {
      await registry.reload();
      capacity.notify();
    },
    /** Raise when a backend may have freed up (e.g. a cooldown cleared on another replica). */
    capacity,
    /** Requests waiting for a backend. */
    queue,

    /** Usage rows from `from` on, after flushing what is still in memory. */
    async usageSince(from: Date) {
      await flusher.flush();
      return usageStore.range(from, new Date(clock.now().getTime() + 3_600_000));
    },

    /** Probes a backend that is not saved yet (the /addbackend flow). */
    probe(b: { baseUrl: string; apiKey: string }) {
      return probeBackend(upstream, { baseUrl: b.baseUrl.replace(/\/+$/, ""), apiKey: b.apiKey });
    },

    /** Backends grouped by pool, in routing order. */
    async pools(): Promise<Record<Pool, BackendLive[]>> {
      const all = await live();
      return Object.fromEntries(POOLS.map((p) => [p, all.filter((b) => b.pool === p)])) as Record<
        Pool,
        BackendLive[]
      >;
    },

    /** Ends a backend's cooldown now, recording who. Returns whether one was running. */
    async clearCooldown(backendId: string, who: string): Promise<boolean> {
      const now = clock.now();
      const was = runtime.cooldowns.clear(backendId, now.getTime());
      capacity.notify();
      await cooldowns.clear(backendId, who, now);
      return was;
    },

    /** Refreshes the backend gauges of /metrics. */
    refreshGauges(): void {
      const nowMs = clock.now().getTime();
      metrics.backendState.reset();
      for (const b of registry.all()) {
        const state = b.enabled ? runtime.stateOf(b) : "disabled";
        for (const s of ["healthy", "degraded", "down", "disabled"]) {
          metrics.backendState.set(
            { backend: b.name, pool: b.pool, state: s },
            s === state ? 1 : 0,
          );
        }
      }
      metrics.activeCooldowns.set(runtime.cooldowns.active(nowMs).size);
      metrics.proxyQueueDepth.set(queue.size);
    },

    start(): void {
      flusher.start();
      prober.start();
      void prober.probeAll();
    },

    async stop(): Promise<void> {
      queue.close();
      prober.stop();
      await flusher.stop();
      await upstream.close();
    },
  };
}

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { OUTCOMES, SEVERITIES } from "../db/schema/index.ts";
import { AGENT_VIEW_STATES } from "./heartbeats/agent-state.ts";
import { createProxyMetrics } from "./proxy/proxy-metrics.ts";
import { JOB_NAMES } from "./scheduler/schedule-spec.ts";

/**
 * Prometheus metrics of the process (prom-client). Every series this project defines is
 * present at zero from the start, so dashboards see the names before the first event
 * (a series that appears only after its first event looks like "no data" on a dashboard).
 */
export type Metrics = ReturnType<typeof createMetrics>;

/** The build a process runs: `commandpost_build_info{version,revision,node}` = 1. */
export interface BuildInfo {
  /** package.json version. */
  version: string;
  /** Source revision (`COMMANDPOST_REVISION`, e.g. a git commit), or "unknown". */
  revision: string;
}

/** Builds a fresh registry with process metrics and commandpost's own. */
export function createMetrics(build: BuildInfo = { version: "unknown", revision: "unknown" }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: "commandpost_build_info",
    help: "Always 1; the labels name the running build (version, revision, Node.js version)",
    labelNames: ["version", "revision", "node"] as const,
    registers: [registry],
  }).set({ ...build, node: process.version }, 1);
  const events = new Counter({
    name: "commandpost_events_total",
    help: "Events ingested, by source, severity and outcome",
    labelNames: ["source", "severity", "outcome"] as const,
    registers: [registry],
  });
  for (const severity of SEVERITIES) {
    for (const outcome of OUTCOMES) events.inc({ source: "alertmanager", severity, outcome }, 0);
  }
  const deliveries = new Counter({
    name: "commandpost_deliveries_total",
    help: "Outbox delivery attempts by result (sent, retried, dead)",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  for (const result of ["sent", "retried", "dead"]) deliveries.inc({ result }, 0);
  const deliveryLatency = new Histogram({
    name: "commandpost_delivery_latency_seconds",
    help: "Time from a delivery's creation to Telegram accepting it",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300],
    registers: [registry],
  });
  const outboxPending = new Gauge({
    name: "commandpost_outbox_pending",
    help: "Deliveries waiting to be sent",
    registers: [registry],
  });
  const outboxOldest = new Gauge({
    name: "commandpost_outbox_oldest_pending_seconds",
    help: "Age of the oldest delivery waiting to be sent",
    registers: [registry],
  });
  const outboxDead = new Gauge({
    name: "commandpost_outbox_dead",
    help: "Deliveries given up",
    registers: [registry],
  });
  const backendState = new Gauge({
    name: "commandpost_backend_state",
    help: "1 for the state each backend is in (healthy, degraded, down, disabled)",
    labelNames: ["backend", "pool", "state"] as const,
    registers: [registry],
  });
  const activeCooldowns = new Gauge({
    name: "commandpost_proxy_active_cooldowns",
    help: "Backends cooling down after a 429",
    registers: [registry],
  });
  const mutesActive = new Gauge({
    name: "commandpost_mutes_active",
    help: "Mutes (silences) in force",
    registers: [registry],
  });
  const incidentsOpened = new Counter({
    name: "commandpost_incidents_opened_total",
    help: "Incidents opened",
    registers: [registry],
  });
  incidentsOpened.inc(0);
  const smokeCheckStatus = new Gauge({
    name: "commandpost_smoke_check_status",
    help: "Last smoke result per check: 0 ok, 1 warning, 2 critical, -1 not configured",
    labelNames: ["check"] as const,
    registers: [registry],
  });
  const scheduleRuns = new Counter({
    name: "commandpost_schedule_runs_total",
    help: "Scheduled job runs by job and result (ok, failed, claimed elsewhere, overlap)",
    labelNames: ["job", "result"] as const,
    registers: [registry],
  });
  for (const job of JOB_NAMES)
    for (const result of ["ok", "failed"]) scheduleRuns.inc({ job, result }, 0);
  const agents = new Gauge({
    name: "commandpost_agents",
    help: "Heartbeating agents by state (ok, stalled, escalated, paused, idle, done)",
    labelNames: ["state"] as const,
    registers: [registry],
  });
  for (const state of AGENT_VIEW_STATES) agents.set({ state }, 0);
  const agentLastBeatAge = new Gauge({
    name: "commandpost_agent_last_beat_age_seconds",
    help: "Seconds since each agent's last heartbeat",
    labelNames: ["agent"] as const,
    registers: [registry],
  });
  return {
    registry,
    events,
    deliveries,
    deliveryLatency,
    outboxPending,
    outboxOldest,
    outboxDead,
    /** The proxy's series (src/proxy/proxy-metrics.ts). */
    ...createProxyMetrics(registry),
    backendState,
    activeCooldowns,
    incidentsOpened,
    mutesActive,
    smokeCheckStatus,
    scheduleRuns,
    agents,
    agentLastBeatAge,
  };
}

import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { BatchedCounter } from "./counter-series.ts";
import { UNAVAILABLE_REASONS } from "./openai-error.ts";

/** Request duration buckets (s): a fast embedding to a long generation. */
const DURATION_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * The proxy's Prometheus series. Labels are bounded: `backend` and `model` come from the
 * admin's configuration, `agent` from admin-created proxy keys. Every series of fixed labels
 * starts at zero, so dashboards see the names before the first request.
 */
export function createProxyMetrics(registry: Registry) {
  const registers = [registry];
  // The per-request counters are counted in plain sums, handed over on each scrape
  // (./counter-series.ts).
  const proxyRequestsBatch = new BatchedCounter<"backend" | "model" | "status">();
  const proxyTokensBatch = new BatchedCounter<"backend" | "model" | "agent" | "kind">();
  const proxyCostBatch = new BatchedCounter<"backend" | "model" | "agent">();
  const proxyRequests = new Counter({
    name: "commandpost_proxy_requests_total",
    help: "Proxy upstream attempts by backend, canonical model and HTTP status (error = no answer)",
    labelNames: ["backend", "model", "status"] as const,
    registers,
    collect() {
      proxyRequestsBatch.flush(this);
    },
  });
  const proxyLatency = new Histogram({
    name: "commandpost_proxy_request_duration_seconds",
    help: "Client request duration through the proxy, observed once per request (to the end of a stream); failed attempts are counted in commandpost_proxy_failovers_total",
    labelNames: ["backend", "model"] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const proxyTimeToFirstToken = new Histogram({
    name: "commandpost_proxy_time_to_first_token_seconds",
    help: "Streams: time from the client's request to the first event relayed to it",
    labelNames: ["backend", "model"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    registers,
  });
  const proxyTokens = new Counter({
    name: "commandpost_proxy_tokens_total",
    help: "Tokens accounted by the proxy, by backend, canonical model, agent and kind (prompt, completion)",
    labelNames: ["backend", "model", "agent", "kind"] as const,
    registers,
    collect() {
      proxyTokensBatch.flush(this);
    },
  });
  const proxyCost = new Counter({
    name: "commandpost_proxy_cost_usd_total",
    help: "Cost accounted by the proxy in USD, by backend, canonical model and agent",
    labelNames: ["backend", "model", "agent"] as const,
    registers,
    collect() {
      proxyCostBatch.flush(this);
    },
  });
  const proxyFailovers = new Counter({
    name: "commandpost_proxy_failovers_total",
    help: "Failed upstream attempts after which the request moved on (next backend or the wait queue), by backend and reason",
    labelNames: ["backend", "reason"] as const,
    registers,
  });
  const proxyCooldowns = new Counter({
    name: "commandpost_proxy_cooldowns_started_total",
    help: "Cooldowns started (or lengthened) by an upstream 429, by backend",
    labelNames: ["backend"] as const,
    registers,
  });
  const proxyQueueDepth = new Gauge({
    name: "commandpost_proxy_queue_depth",
    help: "Requests waiting for a backend to free up",
    registers,
  });
  const proxyQueueWait = new Histogram({
    name: "commandpost_proxy_queue_wait_seconds",
    help: "Time requests spent in the wait queue, by outcome (acquired, timeout, aborted, closed)",
    labelNames: ["outcome"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
    registers,
  });
  const proxyUnavailable = new Counter({
    name: "commandpost_proxy_503_total",
    help: "503 answers of the proxy by reason (queue_full, queue_timeout, upstream_failed, no_backend, shutting_down)",
    labelNames: ["reason"] as const,
    registers,
  });
  for (const reason of UNAVAILABLE_REASONS) proxyUnavailable.inc({ reason }, 0);
  return {
    proxyRequests,
    /** Series of `proxyRequests` to count into on the request path. */
    proxyRequestsBatch,
    /** Series of `proxyTokens` to count into on the request path. */
    proxyTokensBatch,
    /** Series of `proxyCost` to count into on the request path. */
    proxyCostBatch,
    proxyLatency,
    proxyTimeToFirstToken,
    proxyTokens,
    proxyCost,
    proxyFailovers,
    proxyCooldowns,
    proxyQueueDepth,
    proxyQueueWait,
    proxyUnavailable,
  };
}

import type { Metrics } from "../metrics.ts";
import { type Clock, msNow } from "../types.ts";
import type { RuntimeBackend } from "./backend-service.ts";
import type { CounterSeries } from "./counter-series.ts";
import type { TokenUsage } from "./sse-dialects.ts";
import type { UsageAggregator } from "./usage.ts";

/** One upstream attempt as the forwarder reports it. */
export interface AttemptRecord {
  backend: RuntimeBackend;
  /** Canonical model name. */
  model: string;
  agent: string;
  /** When the client's request arrived (clock ms). */
  startMs: number;
  ok: boolean;
  usage: TokenUsage | null;
}

/** See {@link createAccounting}. */
export type Accounting = ReturnType<typeof createAccounting>;

/**
 * Usage and metrics of proxied requests, kept off the database (the aggregator is flushed in
 * batches). Prometheus series are looked up once per backend × model × agent and kept; the
 * counters add into plain sums handed to prom-client at each scrape (./counter-series.ts),
 * so a request costs map lookups and additions, and one histogram observation.
 */
export function createAccounting(deps: { usage: UsageAggregator; metrics: Metrics; clock: Clock }) {
  const { metrics, clock } = deps;
  type Tokens = { prompt: CounterSeries; completion: CounterSeries; cost: CounterSeries };
  const tokenSeries = new Map<string, Tokens>();
  const latencySeries = new Map<string, ReturnType<Metrics["proxyLatency"]["labels"]>>();

  function tokens(backend: string, model: string, agent: string): Tokens {
    const key = `${backend}\u0000${model}\u0000${agent}`;
    let s = tokenSeries.get(key);
    if (!s) {
      s = {
        prompt: metrics.proxyTokensBatch.series(`${key}\u0000p`, {
          backend,
          model,
          agent,
          kind: "prompt",
        }),
        completion: metrics.proxyTokensBatch.series(`${key}\u0000c`, {
          backend,
          model,
          agent,
          kind: "completion",
        }),
        cost: metrics.proxyCostBatch.series(key, { backend, model, agent }),
      };
      tokenSeries.set(key, s);
    }
    return s;
  }

  return {
    /**
     * One upstream attempt: a usage row (requests, errors, tokens, cost in USD from the
     * mapping's per-token prices, latency in ms since the client's request) and, when the
     * upstream reported usage, the token and cost counters.
     */
    attempt(a: AttemptRecord): void {
      const mapping = a.backend.models.get(a.model);
      const prompt = a.usage?.prompt_tokens ?? 0;
      const completion = a.usage?.completion_tokens ?? 0;
      const cost =
        prompt * (mapping?.input_cost_per_token ?? 0) +
        completion * (mapping?.output_cost_per_token ?? 0);
      const nowMs = msNow(clock);
      deps.usage.record({
        backendId: a.backend.id,
        backendName: a.backend.name,
        model: a.model,
        agent: a.agent,
        atMs: nowMs,
        ok: a.ok,
        promptTokens: prompt,
        completionTokens: completion,
        costUsd: cost,
        latencyMs: Math.max(0, nowMs - a.startMs),
      });
      if (!a.usage) return;
      const s = tokens(a.backend.name, a.model, a.agent);
      s.prompt.inc(prompt);
      s.completion.inc(completion);
      s.cost.inc(cost);
    },

    /** The client's request is over (the stream ended): one duration observation. */
    finished(backend: string, model: string, startMs: number): void {
      const key = `${backend}\u0000${model}`;
      let h = latencySeries.get(key);
      if (!h) {
        h = metrics.proxyLatency.labels({ backend, model });
        latencySeries.set(key, h);
      }
      h.observe(Math.max(0, msNow(clock) - startMs) / 1000);
    },

    /** A stream's first event went to the client (time to first token). */
    firstEvent(backend: string, model: string, startMs: number): void {
      metrics.proxyTimeToFirstToken.observe(
        { backend, model },
        Math.max(0, msNow(clock) - startMs) / 1000,
      );
    },
  };
}

/** Upper bounds (ms) of the latency buckets kept per usage row; the last is open-ended. */
export const LATENCY_BUCKETS_MS = [
  5,
  10,
  25,
  50,
  100,
  250,
  500,
  1000,
  2500,
  5000,
  10_000,
  30_000,
  60_000,
  120_000,
  Number.POSITIVE_INFINITY,
];

/** One finished proxy request, as the forwarder reports it. */
export interface UsageSample {
  backendId: string;
  backendName: string;
  /** Canonical model name. */
  model: string;
  agent: string;
  /** Completion time, ms since the epoch. */
  atMs: number;
  ok: boolean;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  latencyMs: number;
}

/** Sums for one backend × model × agent × hour (start of the UTC hour). */
export interface UsageDelta {
  backendId: string;
  backendName: string;
  model: string;
  agent: string;
  hour: Date;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  latencyMsSum: number;
  latencyBuckets: number[];
}

const HOUR_MS = 3_600_000;

/**
 * In-memory usage aggregation (aggregated in memory and flushed in
 * batches, never a database write on the request path). `record` is O(1); `drain` hands
 * the accumulated deltas to the flusher and starts afresh.
 */
export class UsageAggregator {
  private deltas = new Map<string, UsageDelta>();

  /** Adds one request. */
  record(s: UsageSample): void {
    const hourMs = Math.floor(s.atMs / HOUR_MS) * HOUR_MS;
    const key = `${s.backendId}\u0000${s.model}\u0000${s.agent}\u0000${hourMs}`;
    let d = this.deltas.get(key);
    if (!d) {
      d = {
        backendId: s.backendId,
        backendName: s.backendName,
        model: s.model,
        agent: s.agent,
        hour: new Date(hourMs),
        requests: 0,
        errors: 0,
        promptTokens: 0,
        completionTokens: 0,
        costUsd: 0,
        latencyMsSum: 0,
        latencyBuckets: LATENCY_BUCKETS_MS.map(() => 0),
      };
      this.deltas.set(key, d);
    }
    d.requests += 1;
    if (!s.ok) d.errors += 1;
    d.promptTokens += s.promptTokens;
    d.completionTokens += s.completionTokens;
    d.costUsd += s.costUsd;
    d.latencyMsSum += s.latencyMs;
    const i = LATENCY_BUCKETS_MS.findIndex((b) => s.latencyMs <= b);
    d.latencyBuckets[i] = (d.latencyBuckets[i] ?? 0) + 1;
  }

  /** Takes every delta accumulated so far. */
  drain(): UsageDelta[] {
    const out = [...this.deltas.values()];
    this.deltas = new Map();
    return out;
  }

  /** Puts deltas back after a failed flush (they are merged with newer ones). */
  restore(deltas: UsageDelta[]): void {
    for (const d of deltas) {
      const key = `${d.backendId}\u0000${d.model}\u0000${d.agent}\u0000${d.hour.getTime()}`;
      const cur = this.deltas.get(key);
      if (!cur) {
        this.deltas.set(key, d);
        continue;
      }
      cur.requests += d.requests;
      cur.errors += d.errors;
      cur.promptTokens += d.promptTokens;
      cur.completionTokens += d.completionTokens;
      cur.costUsd += d.costUsd;
      cur.latencyMsSum += d.latencyMsSum;
      cur.latencyBuckets = cur.latencyBuckets.map((n, i) => n + (d.latencyBuckets[i] ?? 0));
    }
  }
}

/**
 * The p-th percentile (0..1) of a bucketed latency distribution: the upper bound of the
 * bucket where the cumulative count reaches p (the open last bucket reports its lower
 * bound). Returns 0 for no requests.
 */
export function percentileFromBuckets(buckets: readonly number[], p: number): number {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i] ?? 0;
    if (seen >= p * total) {
      const bound = LATENCY_BUCKETS_MS[i] ?? 0;
      return Number.isFinite(bound) ? bound : (LATENCY_BUCKETS_MS[i - 1] ?? 0);
    }
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 2] ?? 0;
}

import type { CooldownEventRow, UsageRow } from "../../db/schema/index.ts";
import { summarize } from "../proxy/stats.ts";
import { LATENCY_BUCKETS_MS, percentileFromBuckets } from "../proxy/usage.ts";
import type { CooldownItem, ProxyRange, ProxyResponse, UsageSeries } from "./api-types.ts";
import { type BucketRun, bucketIndex, dayBuckets, hourBuckets, zeros } from "./buckets.ts";

/** Cooldowns listed in the log at most. */
const COOLDOWN_LOG_LIMIT = 100;

/** Buckets of a proxy range: 72 hours or 30 local days ending now. */
export function proxyBuckets(range: ProxyRange, now: Date, timeZone: string): BucketRun {
  return range === "72h" ? hourBuckets(now, 72, timeZone) : dayBuckets(now, 30, timeZone);
}

/** Per-bucket sums of one group of rows; latency histograms merged per bucket. */
function seriesOf(key: string, rows: readonly UsageRow[], b: BucketRun): UsageSeries {
  const n = b.startsMs.length;
  const s = { requests: zeros(n), errors: zeros(n), tokens: zeros(n), cost_usd: zeros(n) };
  const hist = Array.from({ length: n }, () => LATENCY_BUCKETS_MS.map(() => 0));
  for (const r of rows) {
    const i = bucketIndex(b, r.hour);
    if (i < 0) continue;
    s.requests[i] = (s.requests[i] ?? 0) + r.requests;
    s.errors[i] = (s.errors[i] ?? 0) + r.errors;
    s.tokens[i] = (s.tokens[i] ?? 0) + r.promptTokens + r.completionTokens;
    s.cost_usd[i] = (s.cost_usd[i] ?? 0) + r.costUsd;
    const h = hist[i] as number[];
    r.latencyBuckets.forEach((c, j) => {
      h[j] = (h[j] ?? 0) + c;
    });
  }
  const sum = summarize(rows.filter((r) => bucketIndex(b, r.hour) >= 0));
  return {
    key,
    ...s,
    cost_usd: s.cost_usd.map((c) => Math.round(c * 1e6) / 1e6),
    p95_ms: hist.map((h, i) => ((s.requests[i] ?? 0) > 0 ? percentileFromBuckets(h, 0.95) : null)),
    total: {
      requests: sum.requests,
      tokens: sum.prompt_tokens + sum.completion_tokens,
      cost_usd: sum.cost_usd,
      p95_ms: sum.latency_p95_ms,
    },
  };
}

/** Rows grouped by `key`, one series per group, most requests first. */
function groupSeries(
  rows: readonly UsageRow[],
  key: (r: UsageRow) => string,
  b: BucketRun,
): UsageSeries[] {
  const groups = new Map<string, UsageRow[]>();
  for (const r of rows) {
    const k = key(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.entries()]
    .map(([k, g]) => seriesOf(k, g, b))
    .sort((x, y) => y.total.requests - x.total.requests || x.key.localeCompare(y.key));
}

function cooldownItem(c: CooldownEventRow): CooldownItem {
  return {
    backend: c.backendName,
    started_at: c.startedAt.toISOString(),
    ends_at: c.endsAt.toISOString(),
    duration_s: Math.round((c.endsAt.getTime() - c.startedAt.getTime()) / 1000),
    strike: c.strike,
    retry_after_s: c.retryAfterS,
    reason: c.reason,
    cleared_at: c.clearedAt?.toISOString() ?? null,
    cleared_by: c.clearedBy,
  };
}

/**
 * The Proxy page's data (pure): usage rows whose hour lies in the buckets, by backend and by
 * agent, the overall p95 per bucket, and the cooldowns that started in the range.
 */
export function proxyData(
  range: ProxyRange,
  b: BucketRun,
  rows: readonly UsageRow[],
  cooldowns: readonly CooldownEventRow[],
): ProxyResponse {
  const inRange = rows.filter((r) => bucketIndex(b, r.hour) >= 0);
  const all = seriesOf("all", inRange, b);
  const sum = summarize(inRange);
  const started = cooldowns
    .filter((c) => bucketIndex(b, c.startedAt) >= 0)
    .sort((x, y) => y.startedAt.getTime() - x.startedAt.getTime());
  const perBucket = zeros(b.startsMs.length);
  for (const c of started) {
    const i = bucketIndex(b, c.startedAt);
    perBucket[i] = (perBucket[i] ?? 0) + 1;
  }
  return {
    range,
    buckets: b.json,
    by_backend: groupSeries(inRange, (r) => r.backendName, b),
    by_agent: groupSeries(inRange, (r) => r.agent, b),
    p95_ms: all.p95_ms,
    cooldowns_per_bucket: perBucket,
    totals: {
      requests: sum.requests,
      errors: sum.errors,
      prompt_tokens: sum.prompt_tokens,
      completion_tokens: sum.completion_tokens,
      cost_usd: sum.cost_usd,
      latency_p95_ms: sum.latency_p95_ms,
    },
    cooldowns: started.slice(0, COOLDOWN_LOG_LIMIT).map(cooldownItem),
  };
}

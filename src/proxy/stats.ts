import type { UsageRow } from "../../db/schema/index.ts";
import { formatTime } from "../telegram-format.ts";
import { LATENCY_BUCKETS_MS, percentileFromBuckets } from "./usage.ts";

/** Usage summed over a group of hourly rows (units in the names: tokens, USD, ms). */
export interface UsageSummary {
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  latency_mean_ms: number;
  /** Upper bound of the latency bucket holding the 95th percentile. */
  latency_p95_ms: number;
}

/** A dimension usage can be grouped by. */
export type UsageDimension = "backend" | "model" | "agent";

/** Sums rows into one {@link UsageSummary}. */
export function summarize(rows: readonly UsageRow[]): UsageSummary {
  const buckets = LATENCY_BUCKETS_MS.map(() => 0);
  let requests = 0;
  let errors = 0;
  let prompt = 0;
  let completion = 0;
  let cost = 0;
  let latency = 0;
  for (const r of rows) {
    requests += r.requests;
    errors += r.errors;
    prompt += r.promptTokens;
    completion += r.completionTokens;
    cost += r.costUsd;
    latency += r.latencyMsSum;
    r.latencyBuckets.forEach((n, i) => {
      buckets[i] = (buckets[i] ?? 0) + n;
    });
  }
  return {
    requests,
    errors,
    prompt_tokens: prompt,
    completion_tokens: completion,
    cost_usd: Math.round(cost * 1e6) / 1e6,
    latency_mean_ms: requests ? Math.round((latency / requests) * 10) / 10 : 0,
    latency_p95_ms: percentileFromBuckets(buckets, 0.95),
  };
}

/** Groups rows by `key` and summarizes each group; groups sorted by key. */
export function groupUsage(
  rows: readonly UsageRow[],
  key: (r: UsageRow) => string,
): ({ key: string } & UsageSummary)[] {
  const groups = new Map<string, UsageRow[]>();
  for (const r of rows) {
    const k = key(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, g]) => ({ key: k, ...summarize(g) }));
}

/** The grouping key for a dimension (backends by name). */
export function dimensionKey(d: UsageDimension): (r: UsageRow) => string {
  if (d === "backend") return (r) => r.backendName;
  if (d === "model") return (r) => r.model;
  return (r) => r.agent;
}

/** Key of the local day (`YYYY-MM-DD` in `timeZone`) an hourly row belongs to. */
export function dayKey(timeZone: string): (r: UsageRow) => string {
  return (r) => formatTime(r.hour, timeZone).slice(0, 10);
}

/**
 * Start of the local day (in `timeZone`, an IANA zone) containing `now`, as an instant: the
 * instant whose wall clock there reads 00:00:00 on `now`'s local date. Correct across a
 * daylight-saving change earlier that day (the zone's UTC offset is read at midnight, not at
 * `now`); where a zone skips midnight itself, the first instant of the day is returned.
 */
export function startOfLocalDay(now: Date, timeZone: string): Date {
  /** The wall clock of instant `t` in the zone, read as if it were UTC (ms). */
  const wall = (t: number) => {
    const l = formatTime(new Date(t), timeZone); // YYYY-MM-DD HH:MM:SS
    const n = (a: number, b: number) => Number(l.slice(a, b));
    return Date.UTC(n(0, 4), n(5, 7) - 1, n(8, 10), n(11, 13), n(14, 16), n(17, 19));
  };
  /** The zone's UTC offset at instant `t` (ms). */
  const offset = (t: number) => wall(t) - (t - (((t % 1000) + 1000) % 1000));
  const w = wall(now.getTime());
  const midnight = w - (w % 86_400_000);
  const guess = midnight - offset(now.getTime());
  return new Date(midnight - offset(guess));
}

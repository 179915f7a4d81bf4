import { startOfLocalDay } from "../proxy/stats.ts";
import { formatTime } from "../telegram-format.ts";
import type { Buckets } from "./api-types.ts";

const HOUR_MS = 3_600_000;

/** Time buckets with their instants, for placing rows (the JSON form is {@link Buckets}). */
export interface BucketRun {
  json: Buckets;
  /** Bucket starts, ms since the epoch, ascending. */
  startsMs: number[];
  /** Start of the first bucket. */
  from: Date;
  /** End of the last bucket (exclusive). */
  to: Date;
}

function run(kind: "hour" | "day", startsMs: number[], endMs: number, timeZone: string) {
  const labels = startsMs.map((ms) => {
    const t = formatTime(new Date(ms), timeZone); // YYYY-MM-DD HH:MM:SS
    return kind === "hour" ? `${t.slice(5, 13)}:00` : t.slice(5, 10);
  });
  return {
    json: {
      bucket: kind,
      starts: startsMs.map((ms) => new Date(ms).toISOString()),
      labels,
      time_zone: timeZone,
    },
    startsMs,
    from: new Date(startsMs[0] ?? endMs),
    to: new Date(endMs),
  };
}

/**
 * The last `count` whole UTC hours up to and including the one holding `now` (usage rows are
 * kept per UTC hour, src/proxy/usage.ts), labelled in `timeZone`.
 */
export function hourBuckets(now: Date, count: number, timeZone: string): BucketRun {
  const current = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  const starts = Array.from({ length: count }, (_, i) => current - (count - 1 - i) * HOUR_MS);
  return run("hour", starts, current + HOUR_MS, timeZone);
}

/**
 * The instant of local midnight in `timeZone` starting the day that holds `at`.
 * src/proxy/stats.ts `startOfLocalDay` subtracts the local time of day, which is off by the
 * shift on a day whose UTC offset changes (daylight saving); the result is corrected to the
 * nearest local midnight here.
 */
export function localMidnight(at: Date, timeZone: string): Date {
  const t = startOfLocalDay(at, timeZone).getTime();
  const [h = 0, m = 0] = formatTime(new Date(t), timeZone).slice(11, 16).split(":").map(Number);
  const offMin = h >= 12 ? (24 - h) * 60 - m : -(h * 60 + m);
  return new Date(t + offMin * 60_000);
}

/**
 * The last `count` local days of `timeZone` up to and including today. Each start is found
 * from the one after it, so a day with a daylight-saving change keeps its true length.
 */
export function dayBuckets(now: Date, count: number, timeZone: string): BucketRun {
  const today = localMidnight(now, timeZone);
  const tomorrow = localMidnight(new Date(today.getTime() + 26 * HOUR_MS), timeZone);
  const starts = [today.getTime()];
  while (starts.length < count) {
    const next = starts[0] as number;
    starts.unshift(localMidnight(new Date(next - 1), timeZone).getTime());
  }
  return run("day", starts, tomorrow.getTime(), timeZone);
}

/** Index of the bucket holding `at`, or -1 outside the run (binary search). */
export function bucketIndex(b: BucketRun, at: Date | number): number {
  const t = typeof at === "number" ? at : at.getTime();
  if (t < b.from.getTime() || t >= b.to.getTime()) return -1;
  let lo = 0;
  let hi = b.startsMs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((b.startsMs[mid] as number) <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** An array of `n` zeros. */
export const zeros = (n: number): number[] => Array.from({ length: n }, () => 0);

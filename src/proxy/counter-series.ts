import type { Counter, LabelValues } from "prom-client";

/** One labelled series of a counter. */
export interface CounterSeries {
  /** Adds `value` (default 1; ≥ 0). */
  inc(value?: number): void;
}

class Series<T extends string> implements CounterSeries {
  pending = 0;
  constructor(readonly labels: LabelValues<T>) {}
  inc(value = 1): void {
    this.pending += value;
  }
}

/**
 * Labelled series of a prom-client counter that cost one addition per increment. prom-client
 * hashes and validates the label set on every `inc()`, even through a `labels()` child
 * (prom-client 15, lib/counter.js), about 0.5 µs, several times per proxied request. Here
 * each series keeps a plain sum, handed to the counter by {@link flush}, which the counter's
 * `collect` calls: prom-client runs `collect` every time the registry is read, before it
 * reads the counter, so a scrape sees every increment.
 */
export class BatchedCounter<T extends string> {
  private readonly all = new Map<string, Series<T>>();

  /** The series of `labels`; `key` identifies it (its label values, joined). */
  series(key: string, labels: LabelValues<T>): CounterSeries {
    let s = this.all.get(key);
    if (!s) {
      s = new Series(labels);
      this.all.set(key, s);
    }
    return s;
  }

  /** Hands the sums gathered since the last flush to `counter`. */
  flush(counter: Counter<T>): void {
    for (const s of this.all.values()) {
      if (s.pending <= 0) continue;
      counter.inc(s.labels, s.pending);
      s.pending = 0;
    }
  }
}

import { and, gte, lt, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { type UsageRow, usageHourly } from "../../db/schema/index.ts";
import { coerceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { UsageAggregator, UsageDelta } from "./usage.ts";

/** Usage rows in [from, to). */
export type UsageStore = ReturnType<typeof createUsageStore>;

/** Builds the usage store: batch upserts and range reads over `usage_hourly`. */
export function createUsageStore(db: Db) {
  return {
    /** Adds deltas to their hourly rows in one statement (sums and latency buckets added). */
    async add(deltas: UsageDelta[]): Promise<void> {
      if (deltas.length === 0) return;
      const t = usageHourly;
      await db
        .insert(t)
        .values(deltas)
        .onConflictDoUpdate({
          target: [t.backendId, t.model, t.agent, t.hour],
          set: {
            backendName: sql`excluded.backend_name`,
            requests: sql`${t.requests} + excluded.requests`,
            errors: sql`${t.errors} + excluded.errors`,
            promptTokens: sql`${t.promptTokens} + excluded.prompt_tokens`,
            completionTokens: sql`${t.completionTokens} + excluded.completion_tokens`,
            costUsd: sql`${t.costUsd} + excluded.cost_usd`,
            latencyMsSum: sql`${t.latencyMsSum} + excluded.latency_ms_sum`,
            latencyBuckets: sql`array(select coalesce(a, 0) + coalesce(b, 0) from unnest(${t.latencyBuckets}, excluded.latency_buckets) as u(a, b))`,
          },
        });
    },

    /** Rows whose hour lies in [from, to). */
    async range(from: Date, to: Date): Promise<UsageRow[]> {
      return db
        .select()
        .from(usageHourly)
        .where(and(gte(usageHourly.hour, from), lt(usageHourly.hour, to)));
    },
  };
}

/** Flushes the aggregator into the store every `intervalMs` and on demand. */
export interface UsageFlusher {
  start(): void;
  /** Writes what is pending now; failures put the deltas back and rethrow. */
  flush(): Promise<void>;
  /** Stops the timer and flushes a last time. */
  stop(): Promise<void>;
}

/** Builds a {@link UsageFlusher}. */
export function createUsageFlusher(deps: {
  aggregator: UsageAggregator;
  store: UsageStore;
  intervalMs: number;
  logger: Logger;
}): UsageFlusher {
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  const flushNow = async () => {
    const deltas = deps.aggregator.drain();
    try {
      await deps.store.add(deltas);
    } catch (err) {
      deps.aggregator.restore(deltas);
      throw err;
    }
  };
  const flush = () => {
    chain = chain.then(flushNow, flushNow);
    return chain;
  };
  return {
    start() {
      timer = setInterval(() => {
        flush().catch((err) =>
          deps.logger.error(
            { err: coerceError(err).message },
            "usage flush failed; kept in memory",
          ),
        );
      }, deps.intervalMs);
      timer.unref();
    },
    flush,
    async stop() {
      if (timer) clearInterval(timer);
      await flush().catch((err) =>
        deps.logger.error({ err: coerceError(err).message }, "last usage flush failed"),
      );
    },
  };
}

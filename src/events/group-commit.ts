/**
 * Group commit for ingest: calls that arrive while a transaction is running wait for it and
 * then share the next one. Each call gets the results of its own items, in its own order.
 *
 * Why: most of an ingest's cost is per transaction, not per event (begin and commit, the
 * locking read, one statement per kind of fact, one outbox write per kind of message; on
 * Postgres the round trips and the server's wakeups, on PGlite its per-statement work).
 * Webhooks that arrive together (an alert storm: Alertmanager sends one per group, several
 * at once) then cost about what one larger webhook costs. A call that finds the queue idle
 * starts at once, so a lone webhook waits for nothing. This is the group commit of
 * databases' write-ahead logs, applied one level up (PostgreSQL manual, WAL Configuration,
 * `commit_delay`, without its wait).
 *
 * Failure: when a shared run throws, each of its calls runs again on its own, so one bad
 * webhook fails alone and the others answer as they would have.
 */

/** Options of {@link createGroupCommit}. */
export interface GroupCommitOptions {
  /**
   * Items one run takes at most (events). A call larger than this runs alone; calls are
   * never split.
   */
  maxItems: number;
  /** Runs at once (transactions in flight). PGlite runs one transaction at a time: 1. */
  concurrency: number;
  /** Ties each run to its callers' traces (src/tracing/shared-work-spans.ts); optional. */
  tracer?: SharedWorkTracer | undefined;
}

/**
 * Tracing of work done for several callers at once. A run starts from the event loop, not
 * from its callers, so without this its spans would land in whatever trace happened to be
 * active when it was scheduled.
 */
export interface SharedWorkTracer {
  /** The calling request's trace context, taken when it submits (opaque here). */
  capture(): unknown;
  /**
   * Runs `fn` for the callers whose contexts are `contexts`: for one caller, inside its
   * own context; for several, inside a span of its own that links to each of them.
   */
  run<T>(contexts: unknown[], fn: () => Promise<T>): Promise<T>;
}

interface Waiting<T, R> {
  items: T[];
  /** The caller's trace context ({@link SharedWorkTracer.capture}). */
  context: unknown;
  resolve: (results: R[]) => void;
  reject: (err: unknown) => void;
}

/**
 * A queue in front of `run`, which takes items and returns one result per item in the same
 * order (it must throw rather than return fewer). `submit(items)` resolves with the results
 * of `items`, or rejects with the error of the run that had them alone.
 */
export function createGroupCommit<T, R>(
  run: (items: T[]) => Promise<R[]>,
  opts: GroupCommitOptions,
) {
  const waiting: Waiting<T, R>[] = [];
  let running = 0;
  let scheduled = false;

  /** Takes the next calls off the queue, up to `maxItems` items (at least one call). */
  function take(): Waiting<T, R>[] {
    const taken = [waiting.shift() as Waiting<T, R>];
    let size = taken[0]?.items.length ?? 0;
    while (waiting.length > 0 && size + (waiting[0]?.items.length ?? 0) <= opts.maxItems) {
      const next = waiting.shift() as Waiting<T, R>;
      size += next.items.length;
      taken.push(next);
    }
    return taken;
  }

  /** `run` over these calls' items, in their trace contexts when tracing is on. */
  const traced = (calls: Waiting<T, R>[], items: T[]) =>
    opts.tracer
      ? opts.tracer.run(
          calls.map((c) => c.context),
          () => run(items),
        )
      : run(items);

  async function runOne(call: Waiting<T, R>): Promise<void> {
    try {
      call.resolve(await traced([call], call.items));
    } catch (err) {
      call.reject(err);
    }
  }

  async function runShared(calls: Waiting<T, R>[]): Promise<void> {
    if (calls.length === 1) return runOne(calls[0] as Waiting<T, R>);
    let results: R[];
    try {
      results = await traced(
        calls,
        calls.flatMap((c) => c.items),
      );
    } catch {
      // One of them may be the cause: each runs alone, and only its own error reaches it.
      for (const call of calls) await runOne(call);
      return;
    }
    let at = 0;
    for (const call of calls) {
      call.resolve(results.slice(at, at + call.items.length));
      at += call.items.length;
    }
  }

  function drain(): void {
    while (running < opts.concurrency && waiting.length > 0) {
      const calls = take();
      running++;
      void runShared(calls).finally(() => {
        running--;
        schedule();
      });
    }
  }

  /**
   * Drains on the event loop's next check phase (`setImmediate`), after the I/O callbacks
   * of this turn: every request that arrived in the same turn is queued by then. Without
   * it the first call's transaction would start alone, and on PGlite (which runs each
   * statement synchronously, so a transaction never yields to I/O) it would end before the
   * next request was even read.
   */
  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      drain();
    });
  }

  return {
    /** Queues `items`; resolves with their results once the run that had them commits. */
    submit(items: T[]): Promise<R[]> {
      return new Promise<R[]>((resolve, reject) => {
        waiting.push({ items, context: opts.tracer?.capture(), resolve, reject });
        schedule();
      });
    },
  };
}

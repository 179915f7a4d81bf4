import { performance } from "node:perf_hooks";
import { type Clock, msNow } from "../types.ts";
import { type ClientSignal, onAbort } from "./proxy-call.ts";
import type { RouteChoice } from "./router.ts";

/**
 * What a waiting request does when the queue re-checks it: either a backend with its RPM token
 * already taken (the request leaves the queue and is sent there), or the time (clock ms) at
 * which one of its backends may free up (a cooldown end or the next token), if known.
 */
export type Acquire = () => { choice: RouteChoice } | { retryAtMs: number | undefined };

/** How a wait ended. */
export type WaitOutcome =
  | { kind: "acquired"; choice: RouteChoice }
  | { kind: "full" | "timeout" | "aborted" | "closed" };

/** Wait-queue limits (`PROXY_QUEUE_MAX`, `PROXY_QUEUE_TIMEOUT_S`). */
export interface WaitQueueSettings {
  /** Requests held at most; one more is refused at once. */
  maxSize: number;
  /** Longest total wait of one request, ms; 0 = never wait. */
  timeoutMs: number;
}

interface Waiter {
  acquire: Acquire;
  settle: (o: WaitOutcome) => void;
}

/** The proxy's FIFO wait queue; see {@link createWaitQueue}. */
export type WaitQueue = ReturnType<typeof createWaitQueue>;

/**
 * A FIFO queue of requests that no backend can take right now (all cooling or out of RPM
 * tokens), in place of an instant 503: the proxy this replaces declared 500 requests / 30 s.
 * Waiters are re-checked in arrival order, so the first to wait gets the first backend that
 * frees up, when {@link wake} is called (a capacity signal) and at the earliest time any
 * waiter said its backends may free up (one timer for the whole queue). A request whose
 * client disconnects leaves at once.
 */
export function createWaitQueue(deps: {
  settings: WaitQueueSettings;
  clock: Clock;
  /** Observes each wait: seconds and how it ended. */
  onWaited?: (seconds: number, outcome: WaitOutcome["kind"]) => void;
}) {
  const { settings, clock } = deps;
  const waiters = new Set<Waiter>();
  let timer: NodeJS.Timeout | undefined;
  /** Clock ms the armed timer fires at (Infinity when none). */
  let armedAtMs = Number.POSITIVE_INFINITY;
  let closed = false;

  function arm(atMs: number | undefined): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    armedAtMs = Number.POSITIVE_INFINITY;
    if (atMs === undefined || waiters.size === 0) return;
    const delay = Math.min(Math.max(1, atMs - msNow(clock)), settings.timeoutMs || 1);
    armedAtMs = msNow(clock) + delay;
    timer = setTimeout(wake, delay);
    timer.unref();
  }

  /** Re-checks every waiter in arrival order; hands backends to those that can go now. */
  function wake(): void {
    let next: number | undefined;
    for (const w of waiters) {
      const r = w.acquire();
      if ("choice" in r) w.settle({ kind: "acquired", choice: r.choice });
      else if (r.retryAtMs !== undefined)
        next = next === undefined ? r.retryAtMs : Math.min(next, r.retryAtMs);
    }
    arm(next);
  }

  return {
    /** Requests waiting now. */
    get size(): number {
      return waiters.size;
    },

    wake,

    /**
     * Re-checks the waiters when the earliest time one of them may go has passed and the
     * timer has not run yet; called before a new request routes, so it cannot take a backend
     * that frees up for those already waiting. O(1) when nothing is due.
     */
    wakeIfDue(): void {
      if (waiters.size > 0 && msNow(clock) >= armedAtMs) wake();
    },

    /**
     * Waits until `acquire` yields a backend, `budgetMs` passes, or `signal` aborts.
     * `retryAtMs` is when this request's backends may free up (clock ms), if known.
     * Resolves `full` at once when the queue holds `maxSize`, `closed` after {@link close}.
     */
    wait(
      acquire: Acquire,
      opts: { signal: ClientSignal; budgetMs: number; retryAtMs: number | undefined },
    ): Promise<WaitOutcome> {
      if (closed) return Promise.resolve({ kind: "closed" });
      if (waiters.size >= settings.maxSize) return Promise.resolve({ kind: "full" });
      if (opts.signal.aborted) return Promise.resolve({ kind: "aborted" });
      if (opts.budgetMs <= 0) return Promise.resolve({ kind: "timeout" });
      return new Promise<WaitOutcome>((resolve) => {
        const startedAt = performance.now();
        let stopListening = () => {};
        const timeout = setTimeout(() => w.settle({ kind: "timeout" }), opts.budgetMs);
        const w: Waiter = {
          acquire,
          settle: (o) => {
            if (!waiters.delete(w)) return;
            clearTimeout(timeout);
            stopListening();
            deps.onWaited?.((performance.now() - startedAt) / 1000, o.kind);
            resolve(o);
          },
        };
        waiters.add(w);
        stopListening = onAbort(opts.signal, () => w.settle({ kind: "aborted" }));
        if (opts.retryAtMs !== undefined && opts.retryAtMs < armedAtMs) arm(opts.retryAtMs);
      });
    },

    /** Sends every waiter away (`closed`) and refuses new ones: the process is stopping. */
    close(): void {
      closed = true;
      for (const w of waiters) w.settle({ kind: "closed" });
      arm(undefined);
    },
  };
}

/**
 * A tiny in-process work queue: at most `concurrency` tasks run at once, the rest wait in
 * arrival order. Tasks must handle their own errors (a rejection is swallowed here so one
 * failure never stalls the queue).
 */
export function createWorkQueue(concurrency: number) {
  const waiting: (() => Promise<void>)[] = [];
  let running = 0;
  let drained: (() => void)[] = [];

  function next(): void {
    while (running < concurrency && waiting.length > 0) {
      const task = waiting.shift() as () => Promise<void>;
      running++;
      task()
        .catch(() => {
          /* tasks log their own errors */
        })
        .finally(() => {
          running--;
          next();
        });
    }
    if (running === 0 && waiting.length === 0) {
      const waiters = drained;
      drained = [];
      for (const w of waiters) w();
    }
  }

  return {
    /** Queues `task`; it starts as soon as a slot is free. */
    push(task: () => Promise<void>): void {
      waiting.push(task);
      next();
    },

    /** Resolves once nothing runs or waits. */
    idle(): Promise<void> {
      if (running === 0 && waiting.length === 0) return Promise.resolve();
      return new Promise((resolve) => drained.push(resolve));
    },
  };
}

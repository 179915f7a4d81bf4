/**
 * "A backend may have freed up." Raised when a cooldown ends or is cleared, a backend is
 * added, enabled or changed, or its health probe succeeds again; code that learns of such a
 * change from elsewhere (another replica) raises it too. The proxy's wait queue listens and
 * re-checks what is waiting. Raising it when nothing freed up costs one re-check and nothing
 * else; calls within one tick coalesce into one.
 *
 * ```ts
 * const capacity = createCapacitySignal();
 * capacity.subscribe(() => queue.wake());
 * capacity.notify(); // e.g. after a cooldown was cleared
 * ```
 */
export interface CapacitySignal {
  /** Says a backend may have freed up. Listeners run once, in a microtask. */
  notify(): void;
  /** Adds a listener. */
  subscribe(listener: () => void): void;
}

/** Builds a {@link CapacitySignal}. */
export function createCapacitySignal(): CapacitySignal {
  const listeners: (() => void)[] = [];
  let pending = false;
  const run = () => {
    pending = false;
    for (const l of listeners) l();
  };
  return {
    notify() {
      if (pending || listeners.length === 0) return;
      pending = true;
      queueMicrotask(run);
    },
    subscribe(listener) {
      listeners.push(listener);
    },
  };
}

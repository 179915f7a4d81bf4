import type { RuntimeBackend } from "./backend-service.ts";
import { TokenBucket } from "./token-bucket.ts";

/** The answer to "may one more request go to this backend now?". */
export type RpmGrant = { ok: true } | { ok: false; readyInMs: number };

/**
 * Per-backend requests-per-minute limits. The single-process limiter answers from memory;
 * the one shared by replicas (src/replicas/shared-rpm.ts) leases tokens from Postgres.
 */
export interface RpmLimiter {
  /** Takes a token for one upstream request, asking the shared bucket if need be. */
  take(b: RuntimeBackend, nowMs: number): RpmGrant | Promise<RpmGrant>;
  /**
   * Takes a token only if one is at hand now, without waiting (the wait queue re-checks its
   * waiters synchronously). When none is, the shared limiter starts fetching some and tells
   * {@link onRefill} listeners when they arrive.
   */
  tryTake(b: RuntimeBackend, nowMs: number): RpmGrant;
  /** ms until a token may be free (0 when one is), without taking one. */
  msUntilToken(b: RuntimeBackend, nowMs: number): number;
  /** Share of the backend's burst in use, 0..1 (routing prefers the least used). */
  utilisation(b: RuntimeBackend, nowMs: number): number;
  /** Calls `listener` when tokens arrived that requests may be waiting for. */
  onRefill(listener: () => void): void;
}

/** A token bucket per backend in this process (a new one when its RPM limit changes). */
export function createLocalRpmLimiter(): RpmLimiter {
  const buckets = new Map<string, TokenBucket>();
  const bucket = (b: RuntimeBackend, nowMs: number): TokenBucket => {
    let found = buckets.get(b.id);
    if (!found || found.rpm !== b.rpmLimit) {
      found = new TokenBucket(b.rpmLimit, nowMs);
      buckets.set(b.id, found);
    }
    return found;
  };
  const tryTake = (b: RuntimeBackend, nowMs: number): RpmGrant => {
    const k = bucket(b, nowMs);
    return k.tryTake(nowMs) ? { ok: true } : { ok: false, readyInMs: k.msUntilToken(nowMs) };
  };
  return {
    take: tryTake,
    tryTake,
    msUntilToken: (b, nowMs) => bucket(b, nowMs).msUntilToken(nowMs),
    utilisation: (b, nowMs) => buckets.get(b.id)?.utilisation(nowMs) ?? 0,
    // Tokens appear with time only; the wait queue's timer covers that.
    onRefill: () => {},
  };
}

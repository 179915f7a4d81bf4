import type { RuntimeBackend } from "./backend-service.ts";
import { TokenBucket } from "./token-bucket.ts";

/** The answer to "may one more request go to this backend now?". */
export type RpmGrant = { ok: true } | { ok: false; readyInMs: number };

/**
 * Per-backend requests-per-minute limits. The single-process limiter answers from memory;
 * the one shared by replicas (src/replicas/shared-rpm.ts) leases tokens from Postgres.
 */
export interface RpmLimiter {
  /** Takes a token for one upstream request, or says in how many ms one may be free. */
  take(b: RuntimeBackend, nowMs: number): RpmGrant | Promise<RpmGrant>;
  /** Share of the backend's burst in use, 0..1 (routing prefers the least used). */
  utilisation(b: RuntimeBackend, nowMs: number): number;
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
  return {
    take(b, nowMs) {
      const k = bucket(b, nowMs);
      return k.tryTake(nowMs) ? { ok: true } : { ok: false, readyInMs: k.msUntilToken(nowMs) };
    },
    utilisation: (b, nowMs) => buckets.get(b.id)?.utilisation(nowMs) ?? 0,
  };
}

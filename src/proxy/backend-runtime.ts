import type { BackendState } from "../types.ts";
import type { RuntimeBackend } from "./backend-service.ts";
import { type CooldownPolicy, CooldownTable } from "./cooldowns.ts";
import { TokenBucket } from "./token-bucket.ts";

/**
 * Per-backend state the proxy keeps in memory between requests: RPM token buckets,
 * cooldowns and the probed health state. Survives registry reloads (keyed by backend id).
 */
export class BackendRuntime {
  readonly cooldowns: CooldownTable;
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly health = new Map<string, BackendState>();

  constructor(policy: CooldownPolicy) {
    this.cooldowns = new CooldownTable(policy);
  }

  /** The backend's token bucket; a new one when its RPM limit changed. */
  bucket(b: RuntimeBackend, nowMs: number): TokenBucket {
    let bucket = this.buckets.get(b.id);
    if (!bucket || bucket.rpm !== b.rpmLimit) {
      bucket = new TokenBucket(b.rpmLimit, nowMs);
      this.buckets.set(b.id, bucket);
    }
    return bucket;
  }

  /** Probed state, or the stored one before the first probe. */
  stateOf(b: RuntimeBackend): BackendState {
    return this.health.get(b.id) ?? b.state;
  }

  /** Records a probe result. */
  setState(id: string, state: BackendState): void {
    this.health.set(id, state);
  }

  /** RPM use 0..1 of a backend (0 before its first request). */
  utilisation(b: RuntimeBackend, nowMs: number): number {
    return this.buckets.get(b.id)?.utilisation(nowMs) ?? 0;
  }
}

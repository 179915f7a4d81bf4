import type { BackendState } from "../types.ts";
import type { RuntimeBackend } from "./backend-service.ts";
import { type CooldownPolicy, CooldownTable } from "./cooldowns.ts";
import { createLocalRpmLimiter, type RpmGrant, type RpmLimiter } from "./rpm-limiter.ts";

/**
 * Per-backend state the proxy keeps in memory between requests: RPM limits, cooldowns and
 * the probed health state. Survives registry reloads (keyed by backend id).
 */
export class BackendRuntime {
  readonly cooldowns: CooldownTable;
  private readonly health = new Map<string, BackendState>();
  private readonly limiter: RpmLimiter;

  /** `limiter`: the replicas' shared one on Postgres, else a token bucket in this process. */
  constructor(policy: CooldownPolicy, limiter: RpmLimiter = createLocalRpmLimiter()) {
    this.cooldowns = new CooldownTable(policy);
    this.limiter = limiter;
  }

  /** Takes an RPM token for one upstream request to `b` (may wait for the shared bucket). */
  take(b: RuntimeBackend, nowMs: number): RpmGrant | Promise<RpmGrant> {
    return this.limiter.take(b, nowMs);
  }

  /** Takes an RPM token only if one is at hand now (see {@link RpmLimiter.tryTake}). */
  tryTake(b: RuntimeBackend, nowMs: number): RpmGrant {
    return this.limiter.tryTake(b, nowMs);
  }

  /** ms until `b` may have an RPM token (0 when it has one). */
  msUntilToken(b: RuntimeBackend, nowMs: number): number {
    return this.limiter.msUntilToken(b, nowMs);
  }

  /** Calls `listener` when RPM tokens arrived (the wait queue wakes). */
  onRefill(listener: () => void): void {
    this.limiter.onRefill(listener);
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
    return this.limiter.utilisation(b, nowMs);
  }
}

/**
 * Seconds of a backend's RPM rate allowed as one burst: capacity = rpm · 5/60 (at least 1).
 * With a burst this size, no 60 s span carries more than rpm · 65/60 requests (+8.3 %), or
 * +10 % with the shared limiter's 1 s leases (docs/operations.md, Scaling out); a bucket as
 * large as the whole minute would let 2 × rpm through in the first minute.
 */
export const BURST_S = 5;

/** Token capacity of a bucket for `rpm` requests per minute (see {@link BURST_S}). */
export function burstOf(rpm: number): number {
  return Math.max(1, Math.floor((rpm * BURST_S) / 60));
}

/**
 * A token bucket for a backend's requests-per-minute limit (README, Proxy routing): capacity
 * {@link burstOf}(rpm) tokens, refilled continuously at `rpm / 60 000` tokens per ms. Time
 * is passed in (ms) so tests need no sleeps.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly perMs: number;
  /** Most tokens the bucket holds. */
  readonly capacity: number;

  /** @param rpm requests per minute (> 0) @param nowMs current time in ms */
  constructor(
    readonly rpm: number,
    nowMs: number,
  ) {
    this.capacity = burstOf(rpm);
    this.tokens = this.capacity;
    this.last = nowMs;
    this.perMs = rpm / 60_000;
  }

  private refill(nowMs: number): void {
    if (nowMs > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + (nowMs - this.last) * this.perMs);
      this.last = nowMs;
    }
  }

  /** Takes one token if there is one. */
  tryTake(nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Share of the burst in use, 0..1 (1 = no token left). */
  utilisation(nowMs: number): number {
    this.refill(nowMs);
    return 1 - this.tokens / this.capacity;
  }

  /** ms until a token is available (0 when one is). */
  msUntilToken(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.perMs);
  }
}

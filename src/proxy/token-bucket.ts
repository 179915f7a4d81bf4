/**
 * A token bucket for a backend's requests-per-minute limit (DESIGN.md, Routing): capacity
 * `rpm` tokens, refilled continuously at `rpm / 60 000` tokens per ms. Time is passed in (ms)
 * so tests need no sleeps.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly perMs: number;

  /** @param rpm requests per minute (> 0) @param nowMs current time in ms */
  constructor(
    readonly rpm: number,
    nowMs: number,
  ) {
    this.tokens = rpm;
    this.last = nowMs;
    this.perMs = rpm / 60_000;
  }

  private refill(nowMs: number): void {
    if (nowMs > this.last) {
      this.tokens = Math.min(this.rpm, this.tokens + (nowMs - this.last) * this.perMs);
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

  /** Gives back a token taken for an attempt that never reached the upstream. */
  refund(): void {
    this.tokens = Math.min(this.rpm, this.tokens + 1);
  }

  /** Share of the minute's budget in use, 0..1 (1 = no token left). */
  utilisation(nowMs: number): number {
    this.refill(nowMs);
    return 1 - this.tokens / this.rpm;
  }

  /** ms until a token is available (0 when one is). */
  msUntilToken(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.perMs);
  }
}

/** Cooldown tuning (defaults: base 30 s, cap 600 s). */
export interface CooldownPolicy {
  baseS: number;
  maxS: number;
}

/** A cooldown that just started (to be recorded as an event row). */
export interface CooldownStarted {
  backendId: string;
  startedAt: Date;
  endsAt: Date;
  strike: number;
  retryAfterS: number | null;
}

/**
 * Cooldown length for the n-th consecutive 429: max(Retry-After, base·2^(n−1)), capped at
 * max. `retryAfterS` may be null when the upstream sent none.
 */
export function cooldownSeconds(
  strike: number,
  retryAfterS: number | null,
  p: CooldownPolicy,
): number {
  const backoff = p.baseS * 2 ** Math.max(0, strike - 1);
  return Math.min(p.maxS, Math.max(retryAfterS ?? 0, backoff));
}

/**
 * Parses a Retry-After header: delta seconds or an HTTP date. Returns seconds ≥ 0, or null.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  nowMs: number,
): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, (at - nowMs) / 1000);
}

/**
 * In-memory cooldown state per backend. A running cooldown is never shortened; strikes
 * (consecutive 429s) reset after a success once the cooldown is over.
 */
export class CooldownTable {
  private readonly state = new Map<string, { untilMs: number; strikes: number }>();

  constructor(private readonly policy: CooldownPolicy) {}

  /** Whether `backendId` is cooling at `nowMs`. */
  isCooling(backendId: string, nowMs: number): boolean {
    return (this.state.get(backendId)?.untilMs ?? 0) > nowMs;
  }

  /** End of the running cooldown in ms, or undefined. */
  endsAt(backendId: string, nowMs: number): number | undefined {
    const s = this.state.get(backendId);
    return s && s.untilMs > nowMs ? s.untilMs : undefined;
  }

  /**
   * Records a 429. Returns the cooldown that started, or null when the running one already
   * lasts longer: it is never shortened, and 429s arriving while it runs (requests already
   * in flight) add no strike; a longer Retry-After may lengthen it.
   */
  rateLimited(
    backendId: string,
    retryAfterS: number | null,
    nowMs: number,
  ): CooldownStarted | null {
    const s = this.state.get(backendId) ?? { untilMs: 0, strikes: 0 };
    // 429s of requests that were already in flight when the cooldown began are one event,
    // not new strikes: only a Retry-After beyond the running end may lengthen it.
    let untilMs: number;
    if (s.untilMs > nowMs) {
      if (retryAfterS === null) return null;
      untilMs = nowMs + Math.min(retryAfterS, this.policy.maxS) * 1000;
    } else {
      s.strikes += 1;
      this.state.set(backendId, s);
      untilMs = nowMs + cooldownSeconds(s.strikes, retryAfterS, this.policy) * 1000;
    }
    if (untilMs <= s.untilMs) return null;
    s.untilMs = untilMs;
    return {
      backendId,
      startedAt: new Date(nowMs),
      endsAt: new Date(untilMs),
      strike: s.strikes,
      retryAfterS,
    };
  }

  /** A success: forgets the strikes once no cooldown runs. */
  succeeded(backendId: string, nowMs: number): void {
    const s = this.state.get(backendId);
    if (s && s.untilMs <= nowMs) this.state.delete(backendId);
  }

  /** Ends a cooldown now (the bot's "clear cooldown"). Returns whether one was running. */
  clear(backendId: string, nowMs: number): boolean {
    const running = this.isCooling(backendId, nowMs);
    this.state.delete(backendId);
    return running;
  }

  /**
   * Takes on a cooldown another replica started (or one stored before a restart): the end
   * and the strikes only ever grow here, so a running cooldown is never shortened.
   */
  adopt(backendId: string, untilMs: number, strikes: number): void {
    const s = this.state.get(backendId) ?? { untilMs: 0, strikes: 0 };
    s.untilMs = Math.max(s.untilMs, untilMs);
    s.strikes = Math.max(s.strikes, strikes);
    this.state.set(backendId, s);
  }

  /** Running cooldowns: backend id → end in ms. */
  active(nowMs: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const [id, s] of this.state) if (s.untilMs > nowMs) out.set(id, s.untilMs);
    return out;
  }
}

import type { Clock } from "../types.ts";
import { systemClock } from "../types.ts";

/** Tuning of {@link createAuthFailureLimiter}. */
export interface AuthLimiterOptions {
  /** Failed authentications a client may make per window before it is held (default 10). */
  maxFailures?: number;
  /** Length of the window and of the hold, in ms (default 60 000). */
  windowMs?: number;
  /** Clients remembered at most; the oldest window is forgotten first (default 10 000). */
  maxClients?: number;
  clock?: Clock;
}

/** What the limiter says about a client before its credentials are checked. */
export type AuthGate = { allowed: true } | { allowed: false; retryAfterS: number };

const ALLOWED: AuthGate = { allowed: true };

/**
 * Slows down credential guessing per client address. Each client may fail authentication
 * `maxFailures` times (10) per `windowMs` (60 s); once it reached that, every further request
 * is answered 429 with `Retry-After` until its window ends, without looking at the token (a
 * success must not tell a guesser it hit). That is at most 10 guesses a minute per address,
 * against 10,000 a second without a limit. The memory is bounded by `maxClients`.
 *
 * Behind a reverse proxy every client shares the proxy's address: a guesser there also holds
 * the legitimate clients for a minute. That is the price of not trusting `X-Forwarded-For`.
 */
export function createAuthFailureLimiter(opts: AuthLimiterOptions = {}) {
  const maxFailures = opts.maxFailures ?? 10;
  const windowMs = opts.windowMs ?? 60_000;
  const maxClients = opts.maxClients ?? 10_000;
  const clock = opts.clock ?? systemClock;
  /** client → failures in its window and when the window started (ms). Insertion order = age. */
  const clients = new Map<string, { failures: number; since: number }>();

  function current(client: string, now: number) {
    const entry = clients.get(client);
    if (entry && now - entry.since >= windowMs) {
      clients.delete(client);
      return undefined;
    }
    return entry;
  }

  return {
    /** Whether `client` may try to authenticate now. */
    check(client: string): AuthGate {
      // A client that never failed (every client of a running system) costs one lookup.
      if (!clients.has(client)) return ALLOWED;
      const now = clock.now().getTime();
      const entry = current(client, now);
      if (!entry || entry.failures < maxFailures) return ALLOWED;
      return { allowed: false, retryAfterS: Math.ceil((entry.since + windowMs - now) / 1000) };
    },
    /**
     * Counts a failed authentication of `client`. Returns true when this failure reached the
     * limit (the caller logs the hold once, not every refused request).
     */
    fail(client: string): boolean {
      const now = clock.now().getTime();
      let entry = current(client, now);
      if (!entry) {
        if (clients.size >= maxClients) {
          const oldest = clients.keys().next().value;
          if (oldest !== undefined) clients.delete(oldest);
        }
        entry = { failures: 0, since: now };
        clients.set(client, entry);
      }
      entry.failures++;
      return entry.failures === maxFailures;
    },
  };
}

/** A failure limiter. */
export type AuthFailureLimiter = ReturnType<typeof createAuthFailureLimiter>;

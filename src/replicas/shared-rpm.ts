import { sql } from "drizzle-orm";
import { type Db, rowsOf } from "../../db/client.ts";
import { coerceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { RuntimeBackend } from "../proxy/backend-service.ts";
import type { RpmGrant, RpmLimiter } from "../proxy/rpm-limiter.ts";
import { burstOf, TokenBucket } from "../proxy/token-bucket.ts";

/**
 * A leased token not used within this long is dropped (ms). It bounds how far a lease can
 * shift requests in time: any 60 s span carries at most burst + rpm · 61/60 requests, i.e.
 * +10 % with a 5 s burst (docs/operations.md, Scaling out).
 */
export const LEASE_MS = 1000;

/** After a failed grant, the local fallback is used this long before Postgres is asked again. */
const DOWN_RETRY_MS = 5000;

/** Dependencies of {@link createSharedRpmLimiter}. */
export interface SharedRpmDeps {
  db: Db;
  logger: Logger;
  /** Live replicas: while Postgres does not answer, each one allows rpm / this, locally. */
  replicaCount: () => number;
}

interface Lease {
  /** Tokens granted to this replica and not used yet. */
  tokens: number;
  /** Date.now() after which the leased tokens are dropped. */
  expiresAtMs: number;
  /** The RPM limit they were granted under: a changed limit drops them. */
  rpm: number;
  /** Tokens the shared bucket held at the last grant (before it), for utilisation. */
  avail: number;
  /**
   * Date.now() before which the shared bucket cannot hold a whole token: it was left below
   * one at the last grant and refills at rpm/60 per second, and other replicas only take.
   * Until then a request is refused without a round trip.
   */
  nextTokenAtMs: number;
  /** Date.now() of recent takes, to size the next lease by the demand of the last second. */
  demand: number[];
  inflight?: Promise<void> | undefined;
}

/**
 * Builds the RPM limiter shared by every replica on one Postgres: one token bucket per
 * backend in `rpm_buckets` (capacity {@link burstOf}(rpm), refilled by database time at
 * rpm/60 per second). A replica takes tokens in batches sized by its demand of the last
 * second (at least one, at most the burst), keeps them for {@link LEASE_MS}, and spends them
 * without a round trip; concurrent requests wait for one batch together, and while the
 * shared bucket cannot hold a token yet requests are refused without asking. Upstream requests
 * of all replicas together thus stay within what one bucket allows, whatever their number.
 * If Postgres fails, each replica falls back to a local bucket of rpm / live replicas.
 */
export function createSharedRpmLimiter(deps: SharedRpmDeps): RpmLimiter {
  const leases = new Map<string, Lease>();
  const fallback = new Map<string, TokenBucket>();
  const listeners: (() => void)[] = [];
  let warnedAt = 0;
  /** Date.now() until which Postgres counts as unreachable for RPM (after a failed grant). */
  let downUntil = 0;

  const leaseOf = (b: RuntimeBackend): Lease => {
    let l = leases.get(b.id);
    if (!l) {
      l = { tokens: 0, expiresAtMs: 0, rpm: b.rpmLimit, avail: 0, nextTokenAtMs: 0, demand: [] };
      leases.set(b.id, l);
    }
    if (l.rpm !== b.rpmLimit) {
      l.tokens = 0;
      l.nextTokenAtMs = 0;
      l.rpm = b.rpmLimit;
    }
    return l;
  };

  function spend(l: Lease, now: number): boolean {
    if (now >= l.expiresAtMs) l.tokens = 0;
    if (l.tokens < 1) return false;
    l.tokens -= 1;
    return true;
  }

  async function grant(
    b: RuntimeBackend,
    want: number,
  ): Promise<{ granted: number; avail: number }> {
    const cap = burstOf(b.rpmLimit);
    const rate = b.rpmLimit / 60;
    // The CTE locks the row (FOR UPDATE waits for a concurrent grant and then reads its
    // result), computes the refill by the database's clock, and the update takes the grant.
    const take = () =>
      deps.db.execute(sql`
        with c as (
          select backend_id, least(${cap}::float8, tokens + greatest(0, extract(epoch from clock_timestamp() - refilled_at)::float8) * ${rate}::float8) as avail
          from rpm_buckets where backend_id = ${b.id} for update
        )
        update rpm_buckets r set tokens = c.avail - least(${want}::int, floor(c.avail)), refilled_at = clock_timestamp()
        from c where r.backend_id = c.backend_id
        returning least(${want}::int, floor(c.avail))::int as granted, c.avail::float8 as avail`);
    let [row] = rowsOf(await take());
    if (!row) {
      await deps.db.execute(sql`
        insert into rpm_buckets (backend_id, tokens, refilled_at)
        values (${b.id}, ${cap}::float8, clock_timestamp()) on conflict do nothing`);
      [row] = rowsOf(await take());
    }
    return { granted: Number(row?.granted ?? 0), avail: Number(row?.avail ?? 0) };
  }

  async function refill(b: RuntimeBackend, l: Lease, now: number): Promise<void> {
    l.demand = l.demand.filter((t) => t > now - 1000);
    const want = Math.min(burstOf(b.rpmLimit), Math.max(1, l.demand.length));
    const g = await grant(b, want);
    l.tokens = (Date.now() < l.expiresAtMs && l.rpm === b.rpmLimit ? l.tokens : 0) + g.granted;
    l.rpm = b.rpmLimit;
    l.expiresAtMs = Date.now() + LEASE_MS;
    l.avail = g.avail;
    const left = g.avail - g.granted;
    l.nextTokenAtMs = left < 1 ? Date.now() + ((1 - left) * 60_000) / b.rpmLimit : 0;
  }

  /** While Postgres does not answer: rpm / live replicas, in this process. */
  function local(b: RuntimeBackend, nowMs: number): RpmGrant {
    const share = Math.max(1, Math.floor(b.rpmLimit / Math.max(1, deps.replicaCount())));
    let k = fallback.get(b.id);
    if (!k || k.rpm !== share) {
      k = new TokenBucket(share, nowMs);
      fallback.set(b.id, k);
    }
    return k.tryTake(nowMs) ? { ok: true } : { ok: false, readyInMs: k.msUntilToken(nowMs) };
  }

  /** Fetches a batch (one at a time per backend); listeners hear when tokens arrived. */
  function startRefill(b: RuntimeBackend, l: Lease): Promise<void> {
    l.inflight ??= refill(b, l, Date.now())
      .then(() => {
        if (l.tokens >= 1) for (const f of listeners) f();
      })
      .catch((err: unknown) => {
        downUntil = Date.now() + DOWN_RETRY_MS;
        if (Date.now() - warnedAt > 60_000) {
          warnedAt = Date.now();
          deps.logger.warn(
            { err: coerceError(err).message },
            "shared RPM limit unavailable; each replica limits its share locally",
          );
        }
      })
      .finally(() => {
        l.inflight = undefined;
      });
    return l.inflight;
  }

  /** `take` without a leased token: waits for a batch (at most two) and spends from it. */
  async function refillAndTake(b: RuntimeBackend, l: Lease, nowMs: number): Promise<RpmGrant> {
    // At most two batches: one already on its way (joined), then one of our own.
    for (let round = 0; round < 2; round++) {
      if (round > 0 && spend(l, Date.now())) return { ok: true };
      if (Date.now() < l.nextTokenAtMs) break;
      await startRefill(b, l);
      if (Date.now() < downUntil) return local(b, nowMs);
    }
    return spend(l, Date.now()) ? { ok: true } : notYet(l);
  }

  const notYet = (l: Lease): RpmGrant => ({
    ok: false,
    readyInMs: l.inflight ? 25 : Math.max(1, Math.ceil(l.nextTokenAtMs - Date.now())),
  });

  return {
    take(b, nowMs) {
      if (Date.now() < downUntil) return local(b, nowMs);
      const l = leaseOf(b);
      l.demand.push(Date.now());
      // A leased token at hand: answered at once, no promise (the proxy's hot path).
      if (spend(l, Date.now())) return { ok: true };
      return refillAndTake(b, l, nowMs);
    },
    tryTake(b, nowMs) {
      if (Date.now() < downUntil) return local(b, nowMs);
      const l = leaseOf(b);
      l.demand.push(Date.now());
      if (spend(l, Date.now())) return { ok: true };
      if (Date.now() >= l.nextTokenAtMs) void startRefill(b, l);
      return notYet(l);
    },
    msUntilToken(b) {
      const l = leases.get(b.id);
      if (!l || (l.tokens >= 1 && Date.now() < l.expiresAtMs)) return 0;
      return Math.max(0, Math.ceil(l.nextTokenAtMs - Date.now()));
    },
    utilisation(b) {
      const l = leases.get(b.id);
      return l ? Math.min(1, Math.max(0, 1 - l.avail / burstOf(b.rpmLimit))) : 0;
    },
    onRefill(listener) {
      listeners.push(listener);
    },
  };
}

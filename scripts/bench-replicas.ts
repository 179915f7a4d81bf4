/**
 * `npm run bench:replicas`: the per-backend RPM limit shared by replicas on one Postgres
 * (src/replicas/shared-rpm.ts), measured. BENCH_REPLICAS limiters (default 3), each with its
 * own connection pool as a replica has, take tokens for one backend of BENCH_RPM (default
 * 600). Two phases:
 * 1. under the limit: requests arrive at BENCH_OFFERED of the limit (default 0.8), spread
 *    over the replicas, for BENCH_UNDER_SECONDS (default 10);
 * 2. saturated: BENCH_CONCURRENCY requests in flight per replica (default 8) for
 *    BENCH_SECONDS (default 65, so a whole minute is seen); a refused request waits until
 *    the limiter says a token may be free.
 * Prints per phase: requests let through, database round trips per request (from
 * `pg_stat_database.xact_commit`), the time a take costs (p50/p99) when served from a lease
 * and when it waits for Postgres; for phase 2 the most in any 60 s (target: ≤ rpm + 10 %) and
 * what unshared buckets would have let through. Needs Postgres: DATABASE_URL or
 * TEST_DATABASE_URL (a database is created and dropped). Exits 1 when the target is missed.
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { openDatabase } from "../db/client.ts";
import { createLogger } from "../src/logger.ts";
import type { RuntimeBackend } from "../src/proxy/backend-service.ts";
import { burstOf } from "../src/proxy/token-bucket.ts";
import { createSharedRpmLimiter } from "../src/replicas/shared-rpm.ts";

const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 3);
const RPM = Number(process.env.BENCH_RPM ?? 600);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 65);
const OFFERED = Number(process.env.BENCH_OFFERED ?? 0.8);
const UNDER_SECONDS = Number(process.env.BENCH_UNDER_SECONDS ?? 10);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Most grants in any 60 s span (grants sorted by time). */
function maxPerMinute(times: number[]): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while ((times[hi] as number) - (times[lo] as number) >= 60_000) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

async function main(): Promise<void> {
  const base = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!base) throw new Error("set DATABASE_URL or TEST_DATABASE_URL to a Postgres server");
  const name = `cp_bench_rpm_${randomBytes(4).toString("hex")}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  const logger = createLogger("warn");
  const dbs = [];
  try {
    for (let i = 0; i < REPLICAS; i++) {
      dbs.push(
        await openDatabase({ url: u.toString(), maxConnections: 4, applicationName: `r${i}` }),
      );
    }
    const outsider = postgres(u.toString(), { max: 1, onnotice: () => {} });
    await outsider`insert into backends (id, name, base_url, api_key_enc, api_key_hint, pool, rpm_limit, timeout_ms, created_at, updated_at)
      values ('bench', 'bench', 'http://x', 'k', 'k', 'primary', ${RPM}, 1000, now(), now())`;
    const backend = { id: "bench", rpmLimit: RPM } as RuntimeBackend;
    const limiters = dbs.map((d) =>
      createSharedRpmLimiter({ db: d.db, logger, replicaCount: () => REPLICAS }),
    );
    const xacts = async () =>
      Number(
        (
          await outsider`select xact_commit::bigint as n from pg_stat_database where datname = current_database()`
        )[0]?.n ?? 0,
      );
    const timings = (local: number[], waited: number[]) => [
      `  take() served from a lease ${local.length} (p50 ${pct(local, 50).toFixed(3)} ms, p99 ${pct(local, 99).toFixed(3)} ms), waited for Postgres ${waited.length} (p50 ${pct(waited, 50).toFixed(2)} ms, p99 ${pct(waited, 99).toFixed(2)} ms)`,
    ];
    const sortAll = (...xs: number[][]) => {
      for (const x of xs) x.sort((a, b) => a - b);
    };

    // Phase 1: under the limit, open loop.
    let start = await xacts();
    const under = { ok: 0, refused: 0, local: [] as number[], waited: [] as number[] };
    const perReplicaMs = (60_000 / (RPM * OFFERED)) * REPLICAS;
    const underEnd = Date.now() + UNDER_SECONDS * 1000;
    await Promise.all(
      limiters.map(async (l) => {
        const inflight: Promise<void>[] = [];
        for (let next = Date.now(); next < underEnd; next += perReplicaMs) {
          await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
          inflight.push(
            (async () => {
              const t0 = performance.now();
              const g = await l.take(backend, Date.now());
              const took = performance.now() - t0;
              if (!g.ok) return void under.refused++;
              under.ok++;
              (took < 0.2 ? under.local : under.waited).push(took);
            })(),
          );
        }
        await Promise.all(inflight);
      }),
    );
    const underTrips = (await xacts()) - start;
    sortAll(under.local, under.waited);

    // Phase 2: saturated, closed loop.
    start = await xacts();
    const grants: number[] = [];
    const local: number[] = [];
    const waited: number[] = [];
    let refused = 0;
    const end = Date.now() + SECONDS * 1000;
    await Promise.all(
      limiters.flatMap((l) =>
        Array.from({ length: CONCURRENCY }, async () => {
          while (Date.now() < end) {
            const t0 = performance.now();
            const g = await l.take(backend, Date.now());
            const took = performance.now() - t0;
            if (g.ok) {
              grants.push(Date.now());
              (took < 0.2 ? local : waited).push(took);
            } else {
              refused++;
              await new Promise((r) => setTimeout(r, Math.max(5, g.readyInMs)));
            }
          }
        }),
      ),
    );
    const roundTrips = (await xacts()) - start;
    await outsider.end();
    grants.sort((a, b) => a - b);
    sortAll(local, waited);
    const perMinute = maxPerMinute(grants);
    const target = Math.floor(RPM * 1.1);
    const unshared = REPLICAS * (burstOf(RPM) + (RPM / 60) * SECONDS);
    const lines = [
      `replicas ${REPLICAS}, rpm_limit ${RPM} (burst ${burstOf(RPM)})`,
      `1. under the limit (${Math.round(OFFERED * 100)} % offered, ${UNDER_SECONDS} s): let through ${under.ok}, refused ${under.refused}; database round trips ${underTrips} (${(underTrips / Math.max(1, under.ok)).toFixed(2)} per request)`,
      ...timings(under.local, under.waited),
      `2. saturated (${CONCURRENCY} in flight per replica, ${SECONDS} s): let through ${grants.length} (${(grants.length / SECONDS).toFixed(2)}/s; limit ${(RPM / 60).toFixed(2)}/s), refused ${refused}`,
      `  most in any 60 s: ${perMinute}   target ≤ ${target} (rpm + 10 %)   ${SECONDS < 60 ? "(run ≥ 60 s to judge)" : perMinute <= target ? "OK" : "MISSED"}`,
      `  unshared buckets would have let through about ${Math.round(unshared)}`,
      `  database round trips ${roundTrips} (${(roundTrips / Math.max(1, grants.length)).toFixed(2)} per request let through, ${(roundTrips / SECONDS).toFixed(1)}/s in all)`,
      ...timings(local, waited),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    if (SECONDS >= 60 && perMinute > target) process.exitCode = 1;
  } finally {
    for (const d of dbs) await d.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

main().catch((err) => {
  process.stderr.write(`bench-replicas failed: ${String(err)}\n`);
  process.exit(1);
});

/**
 * `npm run bench:events`: alert storms through the real HTTP endpoint of an in-process app,
 * on PGlite in memory, or on Postgres when DATABASE_URL is set. Telegram is a counting sender
 * behind the real outbox worker with Telegram's pacing (1/s per chat). Scenarios, run one
 * after the other on the same app (each with fingerprints of its own):
 *
 *  1. `storm`: BENCH_EVENTS (10,000) alerts over BENCH_FINGERPRINTS (50) fingerprints, in
 *     webhook calls of BENCH_BATCH (10) consecutive alerts, BENCH_CONCURRENCY (4) in flight;
 *  2. `distinct`: the same over 2,000 fingerprints (every fingerprint opens an alert);
 *  3. `overlap-16`: 16 calls in flight, each naming BENCH_BATCH fingerprints drawn from the
 *     50 in a shuffled order, so concurrent webhooks lock overlapping sets;
 *  4. `overlap-32` (Postgres only): the same with 32 clients, the lock-order deadlock check.
 *
 * The load generator is a child process of this script (as Alertmanager is a process of its
 * own), so the app's event loop and CPU figure are the app's alone.
 *
 * For each it prints ingest throughput (events/s), p50/p99/max latency per webhook call, the
 * outcomes, the messages the storm produced (the outbox's send and edit rows created during
 * it: each is one Telegram call; queued edits of a message coalesce), on Postgres the
 * deadlocks the server counted meanwhile (`pg_stat_database.deadlocks` delta of the bench's
 * database) and the calls answered other than 200, and the CPU used by the app, by the load
 * generator and by everything else on the machine (other processes share the cores). Targets are printed
 * with PASS/MISS, with the statements sent per call (BENCH_STATEMENTS=1 lists them). BENCH_SCENARIOS=storm,distinct,… runs only those. NOTIFY_ROUTES (JSON, as for the server: docs/operations.md) runs them under those routes, e.g. with escalation and repeat timers. Exits 1 when a scenario sent more than one message per fingerprint or a
 * call failed.
 */

import { fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { and, count, eq, gte, inArray, like, sql } from "drizzle-orm";
import { request } from "undici";
import { openDatabase, rowsOf } from "../db/client.ts";
import { alerts, deliveries } from "../db/schema/index.ts";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import type { TelegramSender } from "../src/outbox/telegram-sender.ts";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const FINGERPRINTS = Number(process.env.BENCH_FINGERPRINTS ?? 50);
const BATCH = Number(process.env.BENCH_BATCH ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const DISTINCT = 2_000;
const TOKEN = "bench-ingest-token-5e1c9a0d7b24";
const CLK_TCK = 100;

/** Targets: events/s per database, p99 per call on Postgres (ms), sends per fingerprint. */
const TARGET = { postgres: 3_000, pglite: 1_000, p99Ms: 50, deadlocks: 0 };

/** A sender that only counts what Telegram would have received. */
function countingSender(): TelegramSender & { calls: number } {
  let nextId = 1;
  const s = {
    calls: 0,
    async send() {
      s.calls++;
      return nextId++;
    },
    async edit() {
      s.calls++;
    },
  };
  return s;
}

/** One alert of fingerprint number `n` of run `run`. */
function alert(n: number, run: string) {
  return {
    status: "firing",
    labels: {
      alertname: "BenchStorm",
      instance: `bench-${run}-${n}:9100`,
      severity: n % 5 === 0 ? "critical" : "warning",
    },
    annotations: { summary: `storm alert ${n}` },
    startsAt: "2026-11-23T00:33:28Z",
    fingerprint: `${run}${n.toString(16).padStart(8, "0")}`,
  };
}

const body = (ns: number[], run: string) =>
  JSON.stringify({ version: "4", status: "firing", alerts: ns.map((n) => alert(n, run)) });

/** `size` distinct numbers below `of`, in a random order. */
function shuffledPick(size: number, of: number): number[] {
  const all = Array.from({ length: of }, (_, i) => i);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [all[i], all[j]] = [all[j] as number, all[i] as number];
  }
  return all.slice(0, Math.min(size, of));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** utime + stime of process `pid` in seconds (Linux /proc). */
function procCpuS(pid: number | "self"): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Busy CPU time of the whole machine (all cores, all but idle and iowait), seconds. */
function machineBusyS(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return (total - (v[3] ?? 0) - (v[4] ?? 0)) / CLK_TCK;
}

interface Scenario {
  name: string;
  /** The fingerprint numbers of call `i` (of `calls`). */
  call: (i: number) => number[];
  calls: number;
  fingerprints: number;
  concurrency: number;
}

function scenarios(pg: boolean): Scenario[] {
  const consecutive = (fps: number) => (i: number) =>
    Array.from({ length: Math.min(BATCH, EVENTS - i * BATCH) }, (_, k) => (i * BATCH + k) % fps);
  const calls = Math.ceil(EVENTS / BATCH);
  const overlap = (concurrency: number): Scenario => ({
    name: `overlap-${concurrency}`,
    call: () => shuffledPick(BATCH, FINGERPRINTS),
    calls,
    fingerprints: FINGERPRINTS,
    concurrency,
  });
  const only = process.env.BENCH_SCENARIOS?.split(",").map((n) => n.trim());
  const all: Scenario[] = [
    {
      name: "storm",
      call: consecutive(FINGERPRINTS),
      calls,
      fingerprints: FINGERPRINTS,
      concurrency: CONCURRENCY,
    },
    {
      name: "distinct",
      call: consecutive(DISTINCT),
      calls,
      fingerprints: DISTINCT,
      concurrency: CONCURRENCY,
    },
    overlap(16),
    ...(pg ? [overlap(32)] : []),
  ];
  return only ? all.filter((s) => only.includes(s.name)) : all;
}

/** Posts the scenario's calls with its concurrency; latencies (ms), outcomes, failures. */
async function storm(url: string, run: string, s: Scenario) {
  const latencies: number[] = [];
  const outcomes = new Map<string, number>();
  let failed = 0;
  let events = 0;
  let next = 0;
  async function lane(): Promise<void> {
    for (let i = next++; i < s.calls; i = next++) {
      const ns = s.call(i);
      events += ns.length;
      const t0 = performance.now();
      // undici's request, not fetch: fetch's web streams cost several times more per call,
      // and the generator shares the machine's two cores with the app and Postgres.
      const res = await request(url, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: body(ns, run),
      });
      const answer = (await res.body.json()) as { events?: { outcome: string }[] };
      latencies.push(performance.now() - t0);
      if (res.statusCode !== 200) {
        failed++;
        continue;
      }
      for (const e of answer.events ?? []) {
        outcomes.set(e.outcome, (outcomes.get(e.outcome) ?? 0) + 1);
      }
    }
  }
  await Promise.all(Array.from({ length: s.concurrency }, lane));
  return { latencies: latencies.sort((a, b) => a - b), outcomes, failed, events };
}

/** What the load generator reports for one scenario. */
interface Load {
  latencies: number[];
  outcomes: [string, number][];
  failed: number;
  events: number;
  /** CPU the load generator used meanwhile, seconds. */
  cpuS: number;
}

/**
 * The load generator: a child process of this script (BENCH_ROLE=load), as Alertmanager is a
 * process of its own. It posts the scenario it is sent (IPC) and answers with a {@link Load}.
 */
function loadGenerator() {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, BENCH_ROLE: "load" },
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`load generator exited (${code})`)));
  });
  return {
    ready,
    run: (job: { url: string; run: string; name: string; pg: boolean }) =>
      new Promise<Load>((resolve, reject) => {
        child.once("message", (m) => resolve(m as Load));
        child.once("exit", (code) => reject(new Error(`load generator exited (${code})`)));
        child.send(job);
      }),
    stop: () => child.kill(),
  };
}

/** BENCH_ROLE=load: runs each scenario the parent sends, answers with its figures. */
function serveLoad(): void {
  process.on("message", async (job: { url: string; run: string; name: string; pg: boolean }) => {
    const s = scenarios(job.pg).find((x) => x.name === job.name) as Scenario;
    const cpu0 = procCpuS("self");
    const r = await storm(job.url, job.run, s);
    const load: Load = { ...r, outcomes: [...r.outcomes], cpuS: procCpuS("self") - cpu0 };
    process.send?.(load);
  });
  process.send?.("ready");
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "cp-bench-"));
  const config = loadConfig({
    PORT: "0",
    DATA_DIR: dataDir,
    INGEST_TOKEN: TOKEN,
    TELEGRAM_ALERT_CHAT_IDS: "1",
    LOG_LEVEL: "silent",
    ...(process.env.DATABASE_URL && { DATABASE_URL: process.env.DATABASE_URL }),
    ...(process.env.NOTIFY_ROUTES && { NOTIFY_ROUTES: process.env.NOTIFY_ROUTES }),
  });
  /** Statements sent since the scenario started, and their texts (BENCH_STATEMENTS=1). */
  let statements = 0;
  const texts = new Map<string, number>();
  const database = await openDatabase({
    url: config.databaseUrl,
    maxConnections: 12,
    onQuery: (text) => {
      statements++;
      if (process.env.BENCH_STATEMENTS) {
        const key = text.replace(/\s+/g, " ").slice(0, 160);
        texts.set(key, (texts.get(key) ?? 0) + 1);
      }
    },
  });
  const pg = database.kind === "postgres";
  const sender = countingSender();
  const app = await createApp(config, { logger: createLogger("silent"), database, sender });
  const port = await app.start();
  const generator = loadGenerator();
  await generator.ready;
  const url = `http://127.0.0.1:${port}/webhooks/alertmanager`;
  const deadlocks = async () =>
    pg
      ? Number(
          rowsOf(
            await database.db.execute(
              sql`select deadlocks from pg_stat_database where datname = current_database()`,
            ),
          )[0]?.deadlocks ?? 0,
        )
      : 0;
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");
  const lines: string[] = [];
  const out = (line: string) => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  let ok = true;
  out(
    `bench:events on ${database.kind}: ${EVENTS} alerts per scenario, webhook calls of ${BATCH} alerts`,
  );
  for (const s of scenarios(pg)) {
    const run = `${s.name.slice(0, 2)}${Date.now().toString(36).slice(-6)}`;
    const since = new Date();
    const dl0 = await deadlocks();
    const cpu0 = { self: procCpuS("self"), machine: machineBusyS() };
    statements = 0;
    texts.clear();
    const started = performance.now();
    const load = await generator.run({ url, run, name: s.name, pg });
    const { latencies, failed, events } = load;
    const outcomes = new Map(load.outcomes);
    const seconds = (performance.now() - started) / 1000;
    const selfCpu = (procCpuS("self") - cpu0.self) / seconds;
    const loadCpu = load.cpuS / seconds;
    const otherCpu = (machineBusyS() - cpu0.machine) / seconds - selfCpu - loadCpu;
    const sent = statements;
    const dl = (await deadlocks()) - dl0;
    const rows = async (kind: "send" | "edit") =>
      (
        await database.db
          .select({ n: count() })
          .from(deliveries)
          .where(
            and(
              eq(deliveries.kind, kind),
              gte(deliveries.createdAt, since),
              // Messages about this scenario's alerts only: the app's own alerts (a smoke
              // check seeing the outbox backlog the storm left) are not the storm's.
              inArray(
                deliveries.subject,
                database.db
                  .select({ s: sql<string>`'alert:' || ${alerts.id}` })
                  .from(alerts)
                  .where(like(alerts.fingerprint, `${run}%`)),
              ),
            ),
          )
      )[0]?.n ?? 0;
    const sends = await rows("send");
    const edits = await rows("edit");
    const rate = events / seconds;
    const p99 = percentile(latencies, 99);
    const target = pg ? TARGET.postgres : TARGET.pglite;
    out(
      `\n[${s.name}] ${events} alerts over ${s.fingerprints} fingerprints, ${latencies.length} calls, ${s.concurrency} in flight`,
    );
    out(
      `  ingest: ${seconds.toFixed(2)} s, ${rate.toFixed(0)} events/s (target >= ${target}: ${verdict(rate >= target)})`,
    );
    out(
      `  latency per call: p50 ${ms(percentile(latencies, 50))}, p99 ${ms(p99)}, max ${ms(latencies.at(-1) ?? 0)}` +
        (pg ? ` (p99 target <= ${TARGET.p99Ms} ms: ${verdict(p99 <= TARGET.p99Ms)})` : ""),
    );
    out(
      `  outcomes: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(", ")}; calls not 200: ${failed}`,
    );
    out(
      `  messages produced: ${sends} sends + ${edits} edits = ${sends + edits} (outbox rows; sends <= ${s.fingerprints}: ${verdict(sends <= s.fingerprints)})`,
    );
    out(
      `  statements per call: ${(sent / Math.max(1, latencies.length)).toFixed(1)} (${pg ? "every statement on the pool, begin and commit included" : "what drizzle sent"}; the outbox worker's too)`,
    );
    if (process.env.BENCH_STATEMENTS) {
      for (const [text, n] of [...texts].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
        out(`    ${(n / Math.max(1, latencies.length)).toFixed(2)}× ${text}`);
      }
    }
    if (pg) {
      out(
        `  deadlocks (pg_stat_database delta): ${dl} (target ${TARGET.deadlocks}: ${verdict(dl === TARGET.deadlocks)})`,
      );
    }
    out(
      `  CPU (cores): the app ${selfCpu.toFixed(2)}, the load generator ${loadCpu.toFixed(2)}, everything else ${otherCpu.toFixed(2)} (the database server and other users of the machine)`,
    );
    if (sends > s.fingerprints || failed > 0) ok = false;
  }
  out(`\nTelegram calls made by the paced worker during the run: ${sender.calls}`);
  generator.stop();
  await app.stop();
  await database.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (!ok) {
    process.stderr.write(
      "FAIL: a call failed or a scenario sent more than one message per fingerprint\n",
    );
    process.exit(1);
  }
}

if (process.env.BENCH_ROLE === "load") serveLoad();
else
  main().catch((err) => {
    process.stderr.write(
      `bench:events failed: ${err instanceof Error ? err.stack : String(err)}\n`,
    );
    process.exit(1);
  });

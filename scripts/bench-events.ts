/**
 * `npm run bench:events`: an alert storm through the real HTTP endpoint of an in-process app.
 * 10,000 Alertmanager alerts over 50 fingerprints, sent as webhook calls of BENCH_BATCH
 * alerts each (an Alertmanager group; default 10), 4 calls in flight, on PGlite in memory,
 * or on Postgres when DATABASE_URL is set. Telegram is a counting sender behind the real
 * outbox worker with Telegram's pacing (1/s per chat). Prints ingest throughput, p50/p99
 * latency per call, and the messages the storm produced: the outbox's send and edit rows
 * (each is one Telegram call; queued edits of a message coalesce). Exits 1 when there is
 * more than one send per fingerprint. Tunable: BENCH_EVENTS, BENCH_FINGERPRINTS,
 * BENCH_BATCH, BENCH_CONCURRENCY.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count, eq } from "drizzle-orm";
import { openDatabase } from "../db/client.ts";
import { deliveries } from "../db/schema/index.ts";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import type { TelegramSender } from "../src/outbox/telegram-sender.ts";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const FINGERPRINTS = Number(process.env.BENCH_FINGERPRINTS ?? 50);
const BATCH = Number(process.env.BENCH_BATCH ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const TOKEN = "bench-ingest-token-5e1c9a0d7b24";

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

/** Alerts `first … first+size-1` of the storm; alert i has fingerprint i mod FINGERPRINTS. */
function webhook(first: number, size: number, run: string): string {
  const alerts = Array.from({ length: size }, (_, k) => {
    const n = (first + k) % FINGERPRINTS;
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
  });
  return JSON.stringify({ version: "4", status: "firing", alerts });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Posts the storm with CONCURRENCY calls in flight; returns latencies (ms) and outcomes. */
async function storm(url: string, run: string) {
  const latencies: number[] = [];
  const outcomes = new Map<string, number>();
  let next = 0;
  async function lane(): Promise<void> {
    for (let first = next; first < EVENTS; first = next) {
      next += BATCH;
      const t0 = performance.now();
      const res = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: webhook(first, Math.min(BATCH, EVENTS - first), run),
      });
      const body = (await res.json()) as { events?: { outcome: string }[] };
      latencies.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`ingest answered ${res.status}`);
      for (const e of body.events ?? []) {
        outcomes.set(e.outcome, (outcomes.get(e.outcome) ?? 0) + 1);
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return { latencies: latencies.sort((a, b) => a - b), outcomes };
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
  });
  const database = await openDatabase({ url: config.databaseUrl, maxConnections: 12 });
  const sender = countingSender();
  const app = await createApp(config, { logger: createLogger("silent"), database, sender });
  const port = await app.start();
  const run = Date.now().toString(36).slice(-6);
  const started = performance.now();
  const { latencies, outcomes } = await storm(
    `http://127.0.0.1:${port}/webhooks/alertmanager`,
    run,
  );
  const seconds = (performance.now() - started) / 1000;
  const calls = sender.calls;
  const rows = async (kind: "send" | "edit") =>
    (await database.db.select({ n: count() }).from(deliveries).where(eq(deliveries.kind, kind)))[0]
      ?.n ?? 0;
  const sends = await rows("send");
  const edits = await rows("edit");
  await app.stop();
  rmSync(dataDir, { recursive: true, force: true });

  const ms = (v: number) => `${v.toFixed(1)} ms`;
  process.stdout.write(
    [
      `bench:events on ${database.kind}: ${EVENTS} alerts over ${FINGERPRINTS} fingerprints, ${latencies.length} webhook calls of ${BATCH} alerts, ${CONCURRENCY} in flight`,
      `ingest: ${seconds.toFixed(2)} s, ${(EVENTS / seconds).toFixed(0)} events/s`,
      `ingest latency per call: p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies.at(-1) ?? 0)}`,
      `outcomes: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(", ")}`,
      `messages produced: ${sends} sends + ${edits} edits = ${sends + edits} (outbox rows; ${calls} sent during the storm at 1/s per chat, the rest queued)`,
      "",
    ].join("\n"),
  );
  if (sends > FINGERPRINTS) {
    process.stderr.write(`FAIL: ${sends} sends for ${FINGERPRINTS} fingerprints\n`);
    process.exit(1);
  }
}

main().catch((err) => {
  process.stderr.write(`bench:events failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

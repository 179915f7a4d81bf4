/**
 * `npm run bench:renotify`: the cost of re-notifications, in-process, on PGlite in memory or
 * on Postgres when DATABASE_URL is set. An alert still firing after its dedup window
 * (DEDUP_WINDOW_S, default 10 min) is announced again: its old message retired, a new one
 * queued, its timers re-armed. In an alert storm that crosses the window every fingerprint
 * does this in the same ingest transaction, which holds its fingerprints' locks meanwhile.
 *
 * For BENCH_ALERTS of 10 and of 50 (or the list given, comma-separated): opens that many
 * alerts in one ingest, then 5 times moves a fake clock 11 minutes on and ingests a repeat
 * of each in one batch. Prints the time of that ingest (ms, each round) and the statements
 * it sent (every statement on the pool, `begin` and `commit` included). Target: the
 * statement count does not grow with the alerts re-notified (one statement per kind of
 * work, as the rest of ingest). Exits 1 when an alert was not re-notified.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../db/client.ts";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import type { EventInput } from "../src/events/event.ts";
import { createLogger } from "../src/logger.ts";
import type { TelegramSender } from "../src/outbox/telegram-sender.ts";
import type { Clock } from "../src/types.ts";

const SIZES = (process.env.BENCH_ALERTS ?? "10,50").split(",").map(Number);
const ROUNDS = 5;
const MIN = 60_000;

/** A clock that moves only when told. */
function manualClock(start: number): Clock & { advance(ms: number): void } {
  let t = start;
  return {
    now: () => new Date(t),
    advance(ms) {
      t += ms;
    },
  };
}

/**
 * A firing alert of fingerprint `n` of the run of `size` alerts (every fifth critical), as the
 * router takes it. Each size has fingerprints of its own: on Postgres the runs share a
 * database.
 */
function alert(size: number, n: number, at: Date): EventInput {
  return {
    source: "bench",
    type: "BenchRenotify",
    severity: n % 5 === 0 ? "critical" : "warning",
    status: "firing",
    title: `renotify ${n}`,
    summary: "",
    labels: { instance: `bench-renotify-${size}-${n}:9100` },
    annotations: {},
    fingerprint: `renotify-${size}-${n}`,
    generatorUrl: null,
    occurredAt: at,
  };
}

async function measure(size: number, url: string | undefined) {
  const dataDir = mkdtempSync(join(tmpdir(), "cp-bench-renotify-"));
  let statements = 0;
  const database = await openDatabase({ url, maxConnections: 4, onQuery: () => statements++ });
  const clock = manualClock(Date.parse("2026-11-27T08:00:00Z"));
  const config = loadConfig({
    PORT: "0",
    DATA_DIR: dataDir,
    INGEST_TOKEN: "bench-renotify-token-7c3e91a4d2",
    TELEGRAM_ALERT_CHAT_IDS: "1",
    LOG_LEVEL: "silent",
  });
  let messageId = 1;
  const sender: TelegramSender = { send: async () => messageId++, edit: async () => {} };
  const app = await createApp(config, { logger: createLogger("silent"), database, sender, clock });
  const batch = () => Array.from({ length: size }, (_, n) => alert(size, n, clock.now()));
  try {
    await app.router.ingest(batch());
    const ms: number[] = [];
    const sent: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      clock.advance(11 * MIN);
      const before = statements;
      const t0 = performance.now();
      const results = await app.router.ingest(batch());
      ms.push(performance.now() - t0);
      sent.push(statements - before);
      if (results.some((r) => r.outcome !== "notified")) {
        throw new Error(`round ${round + 1}: an alert was not re-notified`);
      }
    }
    return { ms, sent };
  } finally {
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  console.log(`bench:renotify on ${url ? "postgres" : "pglite"}: ${ROUNDS} rounds per size\n`);
  const statements: number[] = [];
  for (const size of SIZES) {
    const { ms, sent } = await measure(size, url);
    statements.push(Math.max(...sent));
    console.log(
      `${String(size).padStart(4)} alerts re-notified in one ingest: ${ms.map((m) => m.toFixed(1)).join(", ")} ms; statements ${sent.join(", ")}`,
    );
  }
  const flat = statements.every((s) => s === statements[0]);
  console.log(
    `\nstatements per ingest do not grow with the alerts: ${statements.join(" vs ")} (${flat ? "PASS" : "MISS"})`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

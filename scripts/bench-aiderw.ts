/**
 * `npm run bench:aiderw`: what aiderw costs a user, side by side. The fake
 * aider (test/fixtures/fake-aider: banner, a 429, two edits, a commit) runs in a fresh git
 * repository, directly and through `scripts/aiderw` with commandpost up (the real app
 * in-process on PGlite), with nothing listening (connection refused), and with a server that
 * accepts the connection and never answers. Two session lengths: the fake as fast as it goes,
 * and with BENCH_SILENT_S of silence in the middle (a send to a hung server times out within
 * the session then). Prints median and max wall time of BENCH_RUNS runs each; exits 1 when a
 * down or hung server makes a run more than 1 s slower than an up one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../db/client.ts";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";
import {
  AIDERW,
  blackhole,
  closedPort,
  FAKE_AIDER,
  GIT_ENV,
  makeRepo,
  runProc,
  stats,
} from "../test/helpers/aiderw.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SILENT_S = Number(process.env.BENCH_SILENT_S ?? 2.5);
const TOKEN = "bench-ingest-token-5e1c9a0d7b24";

const dataDir = mkdtempSync(join(tmpdir(), "bench-aiderw-"));
const temps: string[] = [dataDir];
const config = loadConfig({
  PORT: "0",
  DATA_DIR: dataDir,
  INGEST_TOKEN: TOKEN,
  LOG_LEVEL: "silent",
  SCHEDULER_ENABLED: "false",
  ENCRYPTION_KEY: "00".repeat(32),
});
const logger = createLogger("silent");
const app = await createApp(config, { logger, database: await openDatabase({}) });
const port = await app.start();
const hole = await blackhole();
const targets = {
  up: `http://127.0.0.1:${port}`,
  down: `http://127.0.0.1:${await closedPort()}`,
  hung: hole.url,
};

/** One run: a fresh repository, the fake aider directly or through aiderw. */
async function once(via: "direct" | keyof typeof targets, silentS: number): Promise<number> {
  const repo = makeRepo();
  const home = mkdtempSync(join(tmpdir(), "bench-aiderw-home-"));
  temps.push(repo, home);
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    ...GIT_ENV,
    AIDER_BIN: FAKE_AIDER,
    FAKE_AIDER_SILENT_S: String(silentS),
    AIDERW_HOME: home,
    COMMANDPOST_INGEST_TOKEN: TOKEN,
    COMMANDPOST_URL: via === "direct" ? "" : targets[via],
  };
  const cmd = via === "direct" ? FAKE_AIDER : AIDERW;
  const r = await runProc(cmd, ["--model", "x"], { cwd: repo, env });
  if (r.code !== 0) throw new Error(`${via}: exit ${r.code}: ${r.stderr.toString()}`);
  return r.ms;
}

const rows: string[] = [];
let slow = false;
await once("up", 0); // warm-up: tsx's cache, the first queries
for (const silentS of [0, SILENT_S]) {
  const ms: Record<string, number[]> = { direct: [], up: [], down: [], hung: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const via of ["direct", "up", "down", "hung"] as const)
      ms[via]?.push(await once(via, silentS));
  }
  const s = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, stats(v)]));
  const cell = (k: string) =>
    `${(s[k]?.median ?? 0).toFixed(0)} / ${(s[k]?.max ?? 0).toFixed(0)}`.padStart(21);
  rows.push(
    `${`${silentS}s silence`.padEnd(14)}${["direct", "up", "down", "hung"].map(cell).join("")}`,
  );
  const up = s.up?.median ?? 0;
  if ((s.down?.median ?? 0) > up + 1000 || (s.hung?.median ?? 0) > up + 1000) slow = true;
}

console.log(`aiderw wall time, ms (median / max of ${RUNS} runs; fake aider, fresh git repo each)`);
console.log(
  `${"session".padEnd(14)}${["direct aider", "aiderw, server up", "aiderw, refused", "aiderw, hung server"].map((h) => h.padStart(21)).join("")}`,
);
for (const r of rows) console.log(r);
console.log(
  "up: commandpost answers; refused: nothing listens on the port; hung: the server accepts the connection and never answers",
);

await hole.stop();
await app.stop();
for (const d of temps) rmSync(d, { recursive: true, force: true });
if (slow) {
  console.error("bench:aiderw: a down or hung server made aiderw more than 1 s slower");
  process.exit(1);
}

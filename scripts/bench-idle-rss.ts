/**
 * `npm run bench:rss [-- tsx|npm|node …]`: idle memory of the serving process. Starts
 * commandpost the way each mode names (`tsx` = `tsx src/main.ts`, the development way;
 * `npm` = `npm start`; `node` = `node dist/src/main.js`, the image's way, needs
 * `npm run build` first) with PGlite on a fresh DATA_DIR (`pglite`: the first boot creates
 * the database) and again on that DATA_DIR (`pglite-2`: a restart), and on a fresh Postgres
 * database when DATABASE_URL names a server; waits for `/readyz`, lets it idle `RSS_IDLE_S`
 * seconds (default 20), then prints the resident set size (`VmRSS` of /proc, Linux only) of
 * the serving process (the one listening) and of the whole process tree (npm, sh, tsx, node).
 * Also prints the serving process's peak (`VmHWM`: on `pglite`, the first boot, initdb
 * included) and the time from spawn to the first ready `/readyz`. Targets, with PASS/MISS:
 * idle ≤ 120 MB on Postgres and ≤ 250 MB on PGlite, first-boot peak ≤ 400 MB, ready ≤ 2 s
 * on Postgres (`npm` and `node` modes). Exits 1 when a run does not become ready.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const IDLE_S = Number(process.env.RSS_IDLE_S ?? 20);
/** Idle RSS targets (MB), first-boot peak (MB) and start-to-ready time on Postgres (s). */
const TARGET = { postgres: 120, pglite: 250, firstBootPeak: 400, readyS: 2 };

const MODES: Record<string, string[]> = {
  tsx: [join(ROOT, "node_modules/.bin/tsx"), "src/main.ts"],
  npm: ["npm", "start", "--silent"],
  node: [process.execPath, "dist/src/main.js"],
};

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => done(typeof a === "object" && a ? a.port : 0));
    });
  });
}

/** VmRSS (or `field`) in MB of `pid`, or 0 when it is gone. */
function rssMb(pid: number, field: "VmRSS" | "VmHWM" = "VmRSS"): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(
      readFileSync(`/proc/${pid}/status`, "utf8"),
    );
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** `root` and all its descendants, with their command lines. */
function tree(root: number): { pid: number; cmd: string }[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      /* exited meanwhile */
    }
  }
  const out: { pid: number; cmd: string }[] = [];
  const walk = (pid: number) => {
    let cmd = "?";
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch {
      /* exited */
    }
    out.push({ pid, cmd });
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** The pid in `pids` that listens on `port` (from `ss -ltnp`), else the last one. */
function listener(port: number, pids: number[]): number | undefined {
  try {
    const ss = execFileSync("ss", ["-ltnpH", `sport = :${port}`], { encoding: "utf8" });
    const m = /pid=(\d+)/.exec(ss);
    if (m && pids.includes(Number(m[1]))) return Number(m[1]);
  } catch {
    /* no ss: fall back */
  }
  return pids.at(-1);
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 120_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function freshPostgres(base: string): Promise<{ url: string; drop(): void }> {
  const name = `cp_rss_${Date.now().toString(36)}`;
  const psql = (sql: string) => execFileSync("psql", [base, "-qc", sql], { stdio: "ignore" });
  psql(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => psql(`drop database if exists ${name} with (force)`) };
}

type DatabaseKind = "pglite" | "pglite-2" | "postgres";

async function measure(mode: string, database: DatabaseKind, dataDir: string): Promise<boolean> {
  const [cmd, ...args] = MODES[mode] ?? [];
  if (!cmd) throw new Error(`unknown mode ${mode}; use ${Object.keys(MODES).join(", ")}`);
  const pg =
    database === "postgres" ? await freshPostgres(process.env.DATABASE_URL ?? "") : undefined;
  const port = await freePort();
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      ...(pg && { DATABASE_URL: pg.url }),
    },
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  try {
    const started = Date.now();
    if (!(await waitReady(`http://127.0.0.1:${port}`, child))) {
      console.log(`${mode.padEnd(5)} ${database.padEnd(8)} did not become ready`);
      return false;
    }
    const readyS = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const procs = tree(child.pid ?? 0);
    const serving = listener(
      port,
      procs.map((p) => p.pid),
    );
    const total = procs.reduce((sum, p) => sum + rssMb(p.pid), 0);
    const own = serving ? rssMb(serving) : 0;
    const peak = serving ? rssMb(serving, "VmHWM") : 0;
    const chain = procs.map((p) => p.cmd.split(" ")[0]?.split("/").pop()).join(" → ");
    const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");
    const idleTarget = database === "postgres" ? TARGET.postgres : TARGET.pglite;
    const checks = [`idle ≤ ${idleTarget} MB ${verdict(own <= idleTarget)}`];
    if (database === "pglite")
      checks.push(
        `first-boot peak ≤ ${TARGET.firstBootPeak} MB ${verdict(peak <= TARGET.firstBootPeak)}`,
      );
    if (database === "postgres" && mode !== "tsx")
      checks.push(`ready ≤ ${TARGET.readyS} s ${verdict(readyS <= TARGET.readyS)}`);
    console.log(
      `${mode.padEnd(5)} ${database.padEnd(8)} ready in ${readyS.toFixed(1)} s; after ${IDLE_S} s idle: serving process ${own.toFixed(0)} MB (peak ${peak.toFixed(0)} MB), tree ${total.toFixed(0)} MB (${chain}); ${checks.join(", ")}`,
    );
    return true;
  } finally {
    try {
      process.kill(-(child.pid ?? 0), "SIGTERM");
    } catch {
      /* already gone */
    }
    await new Promise((r) => (child.exitCode === null ? child.once("exit", r) : r(null)));
    pg?.drop();
  }
}

const modes = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["tsx", "node"];
const databases: DatabaseKind[] = process.env.DATABASE_URL
  ? ["pglite", "pglite-2", "postgres"]
  : ["pglite", "pglite-2"];
console.log(
  `idle RSS and start (targets: idle ≤ ${TARGET.postgres} MB Postgres, ≤ ${TARGET.pglite} MB PGlite; first PGlite boot peak ≤ ${TARGET.firstBootPeak} MB; ready ≤ ${TARGET.readyS} s on Postgres)`,
);
let ok = true;
for (const mode of modes) {
  // pglite-2 restarts on the DATA_DIR pglite created.
  let dataDir = "";
  for (const db of databases) {
    if (db !== "pglite-2") {
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      dataDir = mkdtempSync(join(tmpdir(), "cp-rss-"));
    }
    ok = (await measure(mode, db, dataDir)) && ok;
  }
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);

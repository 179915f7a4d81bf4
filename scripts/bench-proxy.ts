/**
 * `npm run bench:proxy` — the proxy benchmark.
 *
 * In one run, against one local fake upstream (scripts/fake-upstream.ts, its own process),
 * with commandpost itself in its own process (`node --import tsx src/main.ts`, or the
 * compiled `node dist/src/main.js` with BENCH_APP=dist; temp DATA_DIR, PGlite), and a bare
 * node:http + undici relay as the reference (scripts/bench-relay.ts, its own process), it
 * measures:
 *  1. direct to the upstream, through the relay and through the proxy, at 1 and at 32
 *     connections (closed loop): RPS, mean, p50, p99, success rate (2xx share) and the
 *     latency each hop adds; the proxy's RPS as a share of the relay's;
 *  2. p99 through the proxy at a constant 1,000 RPS (open loop, paced every millisecond), and
 *     direct at the same rate for comparison;
 *  3. failover: two primary backends, one of which answers only 429 (`retry-after: 1`):
 *     success rate, RPS, p99 and how many 429s the failing upstream sent;
 *  4. the proxy process's RSS (VmRSS, peak VmHWM from /proc/<pid>/status) and its CPU share.
 * and prints them next to the targets with PASS / MISS.
 *
 * The load generator is in this process: plain keep-alive HTTP/1.1 over node:net with a
 * pre-built request, latency in microseconds (autocannon's histogram keeps whole milliseconds,
 * too coarse for a 0.3 ms target). Only 127.0.0.1 is used.
 *
 * Exit status: 0 when every run completed (whatever the figures), 1 when something broke.
 * Every child is stopped on the way out, on failure and on Ctrl-C too.
 *
 * Knobs (environment): BENCH_DURATION_S (seconds per measured run, default 6, at most 12),
 * BENCH_WARMUP_S (default 1, at most 3), BENCH_CPU_PROF=<dir> (run the proxy with `--cpu-prof` and write
 * its profile there), BENCH_FLOOR=1 (also measure the app's `GET /healthz` at 32 connections:
 * the Fastify floor of the app process, no upstream involved), BENCH_DATABASE_URL=<postgres
 * URL> (run the app on that Postgres instead of PGlite; what it creates is deleted afterwards).
 *
 * With PGlite the app is booted twice on the same temp DATA_DIR: the first boot creates the
 * database (PGlite's initdb holds several hundred MB until it is collected) and is stopped;
 * the second is the measured one, as a restarted deployment would be. Both RSS peaks are shown.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from "node:net";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const HOST = "127.0.0.1";
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DURATION_MS = seconds("BENCH_DURATION_S", 6, 12) * 1000;
const WARMUP_MS = seconds("BENCH_WARMUP_S", 1, 3) * 1000;
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF?.trim() || undefined;
const FLOOR = process.env.BENCH_FLOOR === "1";
const DATABASE_URL = process.env.BENCH_DATABASE_URL?.trim() || undefined;
/** BENCH_APP=dist: run the compiled app (`npm run build` first), as `npm start` does. */
const COMPILED = process.env.BENCH_APP === "dist";
/** The whole run must stay well under 3 minutes. */
const WATCHDOG_MS = 170_000;
const NATIVE_MODEL = "meta/llama-3.3-70b-instruct";
const CLK_TCK = 100;

const TARGETS = {
  addedP50Ms: 0.3,
  rps32: 10_000,
  /** Proxy RPS at 32 connections over the bare relay's, same run. */
  rps32OfRelay: 0.75,
  /** Proxy mean latency at 1 connection over the relay's, ms. */
  meanOverRelayMs: 0.1,
  p99At1000Ms: 5,
  failoverSuccess: 1,
  /** RSS of the serving process under the 32-connection load, on Postgres (compiled build). */
  rssMB: 200,
};

function seconds(name: string, dflt: number, max: number): number {
  const v = Number(process.env[name] || dflt);
  if (!Number.isFinite(v) || v <= 0 || v > max) throw new Error(`${name}: expected 0 < s ≤ ${max}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Child processes: tracked, stopped on every way out.

export interface Child {
  name: string;
  proc: ChildProcess;
  /** The last ~16 KB the child printed (stdout and stderr). */
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

const children = new Set<Child>();

export function startChild(name: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (b: Buffer) => {
    out = (out + b.toString("utf8")).slice(-16_384);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const exited = new Promise<number | null>((res) => {
    proc.once("exit", (code, signal) => res(code ?? (signal ? -1 : null)));
  });
  const child: Child = {
    name,
    proc,
    output: () => out,
    exited,
    async stop() {
      children.delete(child);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  children.add(child);
  return child;
}

/** Temp directories to remove on every way out. */
const tempDirs = new Set<string>();

function killAllNow(): void {
  for (const c of children) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
  }
  for (const d of tempDirs) {
    try {
      rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      /* a child may still be writing; nothing more to do on the way out */
    }
  }
  tempDirs.clear();
}

/** Kills every child, waits (≤ 3 s) until they are gone, removes temp dirs, exits. */
async function abortAll(code: number): Promise<never> {
  const alive = [...children];
  for (const c of alive) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
  }
  await Promise.race([Promise.all(alive.map((c) => c.exited)), sleep(3000)]);
  killAllNow();
  process.exit(code);
}
process.on("exit", killAllNow);

/** Waits for `pred` to hold, polling; fails when the child exits or time runs out. */
export async function waitFor(
  child: Child,
  what: string,
  ms: number,
  pred: () => Promise<boolean>,
) {
  const deadline = Date.now() + ms;
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited)
      throw new Error(`${child.name} exited while waiting for ${what}:\n${child.output()}`);
    if (await pred().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}:\n${child.output()}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, HOST, r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

// ---------------------------------------------------------------------------------------------
// /proc readings (Linux).

export function procStatusKB(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
    readFileSync(`/proc/${pid}/status`, "utf8"),
  );
  if (!m?.[1]) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(m[1]);
}

/** utime + stime of a process, in seconds. */
export function procCpuS(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Busy CPU time of the whole machine (all cores, everything but idle and iowait), seconds. */
export function machineBusyS(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return (total - (v[3] ?? 0) - (v[4] ?? 0)) / CLK_TCK;
}

// ---------------------------------------------------------------------------------------------
// Load generator: keep-alive HTTP/1.1 over node:net, one request in flight per connection.

const CRLF2 = Buffer.from("\r\n\r\n");

/** One keep-alive connection with a minimal response parser (content-length or chunked). */
class Conn {
  readonly socket: Socket;
  busy = false;
  closed = false;
  private sentAt = 0;
  private head: Buffer | null = null;
  private mode: "head" | "length" | "chunked" | "eof" = "head";
  private remaining = 0;
  private pending: Buffer | null = null;
  private status = 0;
  private closeAfter = false;

  constructor(
    port: number,
    private readonly onDone: (c: Conn, status: number, latencyMs: number) => void,
    private readonly onFail: (c: Conn, err: Error) => void,
  ) {
    this.socket = connect({ port, host: HOST, noDelay: true });
    this.socket.on("data", (b: Buffer) => this.data(b));
    this.socket.on("error", (err) => this.fail(err));
    this.socket.on("close", () => {
      if (this.closed) return;
      if (this.mode === "eof" && this.busy) return this.finish();
      this.fail(new Error("connection closed"));
    });
  }

  send(req: Buffer): void {
    this.busy = true;
    this.mode = "head";
    this.head = null;
    this.sentAt = performance.now();
    this.socket.write(req);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    const wasBusy = this.busy;
    this.busy = false;
    if (wasBusy) this.onFail(this, err);
    else this.onFail(this, new Error(`idle connection lost: ${err.message}`));
  }

  private data(chunk: Buffer): void {
    if (!this.busy) {
      this.fail(new Error("unsolicited bytes from the server"));
      return;
    }
    let b = chunk;
    if (this.mode === "head") {
      const h = this.head ? Buffer.concat([this.head, b]) : b;
      const end = h.indexOf(CRLF2);
      if (end < 0) {
        this.head = h;
        return;
      }
      this.head = null;
      const text = h.toString("latin1", 0, end).toLowerCase();
      this.status = Number(text.slice(9, 12));
      this.closeAfter = /\r\nconnection:\s*close/.test(text);
      const len = /\r\ncontent-length:\s*(\d+)/.exec(text);
      b = h.subarray(end + 4);
      if (this.status === 204 || this.status === 304) {
        this.remaining = 0;
        this.mode = "length";
      } else if (len?.[1] !== undefined) {
        this.remaining = Number(len[1]);
        this.mode = "length";
      } else if (/\r\ntransfer-encoding:[^\r]*chunked/.test(text)) {
        this.mode = "chunked";
        this.pending = null;
      } else {
        this.mode = "eof";
        return;
      }
    }
    if (this.mode === "length") {
      if (b.length > this.remaining) {
        this.fail(new Error("bytes past the response body"));
        return;
      }
      this.remaining -= b.length;
      if (this.remaining === 0) this.finish();
    } else if (this.mode === "chunked") {
      this.chunked(b);
    }
  }

  /** Consumes chunked framing; `remaining` = bytes of chunk data (+2 for its CRLF) to skip. */
  private chunked(input: Buffer): void {
    let b = this.pending ? Buffer.concat([this.pending, input]) : input;
    this.pending = null;
    for (;;) {
      if (this.remaining > 0) {
        const skip = Math.min(this.remaining, b.length);
        this.remaining -= skip;
        b = b.subarray(skip);
        if (this.remaining > 0) return;
      }
      const eol = b.indexOf("\r\n");
      if (eol < 0) {
        this.pending = b;
        return;
      }
      const size = Number.parseInt(b.toString("latin1", 0, eol), 16);
      if (!Number.isFinite(size)) {
        this.fail(new Error("bad chunk size"));
        return;
      }
      if (size === 0) {
        // Last chunk: expect the final CRLF (no trailers).
        if (b.length < eol + 4) {
          this.pending = b;
          return;
        }
        this.finish();
        return;
      }
      this.remaining = size + 2;
      b = b.subarray(eol + 2);
    }
  }

  private finish(): void {
    const latencyMs = performance.now() - this.sentAt;
    this.busy = false;
    this.mode = "head";
    if (this.closeAfter) this.close();
    this.onDone(this, this.status, latencyMs);
  }
}

/** What one load run measured. */
export interface LoadResult {
  label: string;
  connections: number;
  /** Requests per second asked for (open loop), or undefined (closed loop). */
  rate: number | undefined;
  done: number;
  ok: number;
  errors: number;
  statuses: Map<number, number>;
  elapsedS: number;
  rps: number;
  /** Mean latency, ms. */
  mean: number;
  p50: number;
  p99: number;
  max: number;
  /** CPU share (1 = one full core) per process during the run; `other`: everything else. */
  cpu: { proxy: number; upstream: number; loadgen: number; other: number };
  /** Open loop: sends that found no idle connection and waited. */
  queued: number;
}

export interface LoadSpec {
  label: string;
  port: number;
  request: Buffer;
  connections: number;
  durationMs: number;
  /** Open loop at this many requests per second (connections = the pool's maximum). */
  rate?: number;
  pids: { proxy: number; upstream: number };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

/** Runs load for `durationMs`, then waits for in-flight requests (bounded). */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolveRun, rejectRun) => {
    let lat = new Float64Array(1 << 16);
    let done = 0;
    let ok = 0;
    let errors = 0;
    let queued = 0;
    let lastError = "";
    const statuses = new Map<number, number>();
    const conns = new Set<Conn>();
    const idle: Conn[] = [];
    const backlog: number[] = [];
    const open = spec.rate !== undefined;
    let stopped = false;
    let finished = false;
    let consecutiveFailures = 0;

    const cpu0 = {
      proxy: procCpuS(spec.pids.proxy),
      upstream: procCpuS(spec.pids.upstream),
      self: process.cpuUsage(),
      machine: machineBusyS(),
    };
    const t0 = performance.now();
    const deadline = t0 + spec.durationMs;
    let tEnd = deadline;

    const record = (status: number, ms: number) => {
      if (done === lat.length) {
        const bigger = new Float64Array(lat.length * 2);
        bigger.set(lat);
        lat = bigger;
      }
      lat[done++] = ms;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 200 && status < 300) ok++;
    };

    const onDone = (c: Conn, status: number, ms: number) => {
      consecutiveFailures = 0;
      record(status, ms);
      if (c.closed) {
        conns.delete(c);
        if (!stopped && !open) kick(newConn());
      } else if (!stopped && !open) {
        c.send(spec.request);
      } else if (!stopped && backlog.length > 0) {
        backlog.shift();
        c.send(spec.request);
      } else {
        idle.push(c);
      }
      maybeFinish();
    };

    const onFail = (c: Conn, err: Error) => {
      conns.delete(c);
      const i = idle.indexOf(c);
      if (i >= 0) idle.splice(i, 1);
      errors++;
      lastError = err.message;
      if (++consecutiveFailures > 200) {
        stopped = true;
        return finish(new Error(`${spec.label}: the server keeps failing (${lastError})`));
      }
      if (!stopped && !open) kick(newConn());
      maybeFinish();
    };

    const newConn = () => {
      const c = new Conn(spec.port, onDone, onFail);
      conns.add(c);
      return c;
    };
    const kick = (c: Conn) => {
      c.socket.once("connect", () => {
        if (!stopped && !c.closed) c.send(spec.request);
        else idle.push(c);
      });
    };

    const maybeFinish = () => {
      if (!stopped || finished) return;
      for (const c of conns) if (c.busy) return;
      finish();
    };

    const finish = (err?: Error) => {
      if (finished) return;
      finished = true;
      tEnd = Math.max(tEnd, performance.now());
      clearInterval(pacer);
      clearTimeout(stopTimer);
      clearTimeout(hardTimer);
      for (const c of conns) c.close();
      if (err) return rejectRun(err);
      if (done === 0)
        return rejectRun(new Error(`${spec.label}: no response at all (${lastError})`));
      const elapsedS = (tEnd - t0) / 1000;
      const self = process.cpuUsage(cpu0.self);
      const sorted = lat.slice(0, done).sort();
      resolveRun({
        label: spec.label,
        connections: spec.connections,
        rate: spec.rate,
        done,
        ok,
        errors,
        statuses,
        elapsedS,
        rps: done / elapsedS,
        mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
        max: sorted[sorted.length - 1] ?? Number.NaN,
        cpu: ((proxy, upstream, loadgen, machine) => ({
          proxy,
          upstream,
          loadgen,
          other: Math.max(0, machine - proxy - upstream - loadgen),
        }))(
          (procCpuS(spec.pids.proxy) - cpu0.proxy) / elapsedS,
          (procCpuS(spec.pids.upstream) - cpu0.upstream) / elapsedS,
          (self.user + self.system) / 1e6 / elapsedS,
          (machineBusyS() - cpu0.machine) / elapsedS,
        ),
        queued,
      });
    };

    // Closed loop: every connection sends again as soon as its answer is in.
    // Open loop: a 1 ms pacer sends what is due on idle connections (more are opened, up to
    // `connections`; beyond that a send waits and is counted as queued).
    let pacer: NodeJS.Timeout | undefined;
    if (!open) {
      for (let i = 0; i < spec.connections; i++) kick(newConn());
    } else {
      const rate = spec.rate as number;
      const warm = Math.min(spec.connections, 8);
      for (let i = 0; i < warm; i++) {
        const c = newConn();
        c.socket.once("connect", () => idle.push(c));
      }
      let sent = 0;
      pacer = setInterval(() => {
        const now = performance.now();
        if (now >= deadline) return;
        const due = Math.floor(((now - t0) * rate) / 1000);
        while (sent < due) {
          sent++;
          const c = idle.pop();
          if (c && !c.closed) c.send(spec.request);
          else if (conns.size < spec.connections) kick(newConn());
          else {
            queued++;
            backlog.push(now);
          }
        }
      }, 1);
    }
    const stopTimer = setTimeout(() => {
      stopped = true;
      tEnd = performance.now();
      backlog.length = 0;
      maybeFinish();
    }, spec.durationMs);
    const hardTimer = setTimeout(
      () => finish(new Error(`${spec.label}: requests still in flight 10 s after the end`)),
      spec.durationMs + 10_000,
    );
  });
}

export function chatRequest(port: number, model: string, bearer: string): Buffer {
  const body = JSON.stringify({
    model,
    messages: [
      { role: "system", content: "You are a terse assistant." },
      { role: "user", content: "Say hello." },
    ],
    max_tokens: 16,
  });
  return Buffer.from(
    "POST /v1/chat/completions HTTP/1.1\r\n" +
      `host: ${HOST}:${port}\r\n` +
      `authorization: Bearer ${bearer}\r\n` +
      "content-type: application/json\r\n" +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      "\r\n" +
      body,
  );
}

export function getRequest(port: number, path: string): Buffer {
  return Buffer.from(`GET ${path} HTTP/1.1\r\nhost: ${HOST}:${port}\r\n\r\n`);
}

// ---------------------------------------------------------------------------------------------
// The always-429 upstream (in this process: it sees only a handful of requests).

interface Upstream429 {
  url: string;
  /** 429s answered to POSTs (proxied calls) and to GETs (health probes). */
  counts: { post: number; get: number };
  close(): Promise<void>;
}

async function startUpstream429(): Promise<Upstream429> {
  const counts = { post: 0, get: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.method === "POST") counts.post++;
      else counts.get++;
      const body = JSON.stringify({
        error: { message: "Rate limit reached", type: "rate_limit_error", code: "rate_limited" },
      });
      res.writeHead(429, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        "retry-after": "1",
      });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${port}`,
    counts,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Output.

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "n/a");
const f3 = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : "n/a");
const pct = (n: number) => `${(n * 100).toFixed(2)} %`;
const int = (n: number) => Math.round(n).toLocaleString("en-US");

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r, ri) => {
      const line = r
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join("  ");
      return ri === 0 ? `${line}\n${"-".repeat(line.length)}` : line;
    })
    .join("\n");
}

function statusSummary(r: LoadResult): string {
  const parts = [...r.statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`);
  if (r.errors > 0) parts.push(`socket errors×${r.errors}`);
  return parts.join(" ");
}

const log = (s = "") => process.stdout.write(`${s}\n`);
const progress = (s: string) => process.stderr.write(`  … ${s}\n`);

// ---------------------------------------------------------------------------------------------
// Main.

async function main(): Promise<void> {
  const started = performance.now();
  const dataDir = await mkdtemp(join(tmpdir(), "commandpost-bench-"));
  tempDirs.add(dataDir);
  const adminToken = randomBytes(24).toString("hex");
  /** Unique per run, so a shared Postgres (BENCH_DATABASE_URL) never mixes runs. */
  const tag = randomBytes(3).toString("hex");
  const benchModel = `bench-model-${tag}`;
  const failoverModel = `failover-model-${tag}`;
  let bad: Upstream429 | undefined;
  let cleanup = async () => {};
  try {
    // Upstream in its own process.
    progress("starting the fake upstream and the proxy (separate processes)");
    const upstream = startChild("fake upstream", ["--import", "tsx", "scripts/fake-upstream.ts"], {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: "0",
    });
    let upstreamUrl = "";
    await waitFor(upstream, "the fake upstream to listen", 30_000, async () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(upstream.output());
      if (m?.[1]) upstreamUrl = m[1];
      return upstreamUrl !== "";
    });
    const upstreamPort = Number(new URL(upstreamUrl).port);
    bad = await startUpstream429();
    // The reference: a bare node:http + undici relay to the same upstream (its own process).
    const relay = startChild("relay", ["--import", "tsx", "scripts/bench-relay.ts"], {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: "0",
      UPSTREAM: upstreamUrl,
      MODEL: NATIVE_MODEL,
    });
    let relayUrl = "";
    await waitFor(relay, "the relay to listen", 30_000, async () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(relay.output());
      if (m?.[1]) relayUrl = m[1];
      return relayUrl !== "";
    });
    const relayPort = Number(new URL(relayUrl).port);

    // The proxy: commandpost as a separate process with its own environment.
    const proxyPort = await freePort();
    const proxyUrl = `http://${HOST}:${proxyPort}`;
    const appEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(proxyPort),
      HOST,
      DATA_DIR: dataDir,
      ADMIN_TOKEN: adminToken,
      ENCRYPTION_KEY: randomBytes(32).toString("hex"),
      LOG_LEVEL: "warn",
      PROXY_HEALTH_INTERVAL_S: "3600",
      USAGE_FLUSH_INTERVAL_S: "10",
      ...(DATABASE_URL && { DATABASE_URL }),
    };
    const bootApp = async (name: string, extraArgs: string[]) => {
      const entry = COMPILED ? ["dist/src/main.js"] : ["--import", "tsx", "src/main.ts"];
      const child = startChild(name, [...extraArgs, ...entry], appEnv);
      await waitFor(child, `${name} /healthz`, 60_000, async () => {
        const res = await fetch(`${proxyUrl}/healthz`);
        return res.ok;
      });
      return child;
    };
    let firstBootHwmKB: number | undefined;
    if (!DATABASE_URL) {
      progress("first boot: PGlite creates the database in a temp DATA_DIR");
      const first = await bootApp("commandpost (first boot)", []);
      firstBootHwmKB = procStatusKB(first.proc.pid as number, "VmHWM");
      await first.stop();
    }
    const proxy = await bootApp(
      "commandpost",
      CPU_PROF_DIR ? ["--cpu-prof", "--cpu-prof-dir", resolve(CPU_PROF_DIR)] : [],
    );
    const pid = proxy.proc.pid as number;
    const pids = { proxy: pid, upstream: upstream.proc.pid as number };
    const relayPids = { proxy: relay.proc.pid as number, upstream: upstream.proc.pid as number };
    const idleRssKB = procStatusKB(pid, "VmRSS");
    let peakSampledKB = idleRssKB;
    const sampler = setInterval(() => {
      try {
        peakSampledKB = Math.max(peakSampledKB, procStatusKB(pid, "VmRSS"));
      } catch {
        /* the process is gone; the run will fail on its own */
      }
    }, 200);
    sampler.unref();

    // Backends and a proxy key through the admin API.
    const created: string[] = [];
    const admin = async (path: string, body: unknown) => {
      const res = await fetch(`${proxyUrl}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`POST ${path} → ${res.status}: ${text}`);
      const json = JSON.parse(text) as Record<string, unknown>;
      created.push(`${path}/${String(json.id)}`);
      return json;
    };
    /** Deletes what the run created (only matters on a shared Postgres). */
    cleanup = async () => {
      for (const path of created.reverse()) {
        await fetch(`${proxyUrl}${path}`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${adminToken}` },
        }).catch(() => undefined);
      }
    };
    const backend = (name: string, baseUrl: string, canonical: string) => ({
      name,
      base_url: `${baseUrl}/v1`,
      api_key: `sk-bench-${randomBytes(8).toString("hex")}`,
      pool: "primary",
      rpm_limit: 1_000_000,
      timeout_ms: 30_000,
      models: [
        {
          canonical,
          native: NATIVE_MODEL,
          input_cost_per_token: 0.0000006,
          output_cost_per_token: 0.0000006,
        },
      ],
    });
    await admin("/api/admin/backends", backend(`bench-upstream-${tag}`, upstreamUrl, benchModel));
    // The failing one first, so it is also first in registry order.
    await admin("/api/admin/backends", backend(`failover-429-${tag}`, bad.url, failoverModel));
    await admin("/api/admin/backends", backend(`failover-ok-${tag}`, upstreamUrl, failoverModel));
    const { key } = (await admin("/api/admin/agents", { name: `bench-${tag}` })) as {
      key: string;
    };

    const directReq = chatRequest(upstreamPort, NATIVE_MODEL, "sk-direct");
    const relayReq = chatRequest(relayPort, benchModel, "sk-relay");
    const proxyReq = chatRequest(proxyPort, benchModel, key);
    const failoverReq = chatRequest(proxyPort, failoverModel, key);

    // Sanity: both paths answer a real chat completion.
    for (const [what, url, model, bearer] of [
      ["direct", upstreamUrl, NATIVE_MODEL, "sk-direct"],
      ["proxy", proxyUrl, benchModel, key],
    ] as const) {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
        body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
      });
      const json = (await res.json()) as { choices?: { message?: { content?: string } }[] };
      if (res.status !== 200 || !json.choices?.[0]?.message?.content) {
        throw new Error(
          `sanity check (${what}) failed: HTTP ${res.status} ${JSON.stringify(json)}`,
        );
      }
    }

    const run = async (
      spec: Omit<LoadSpec, "pids" | "durationMs">,
      warmupMs = WARMUP_MS,
      p: LoadSpec["pids"] = pids,
    ) => {
      progress(`${spec.label}: ${warmupMs / 1000} s warm-up, ${DURATION_MS / 1000} s measured`);
      await runLoad({ ...spec, label: `${spec.label} (warm-up)`, durationMs: warmupMs, pids: p });
      return runLoad({ ...spec, durationMs: DURATION_MS, pids: p });
    };

    // JIT warm-up of both paths before anything is measured.
    progress("warming up both paths (32 connections, 2 s each)");
    for (const [port, request] of [
      [upstreamPort, directReq],
      [relayPort, relayReq],
      [proxyPort, proxyReq],
    ] as const) {
      await runLoad({ label: "warm-up", port, request, connections: 32, durationMs: 2000, pids });
    }

    const results: LoadResult[] = [];
    const direct1 = await run({
      label: "direct, 1 conn",
      port: upstreamPort,
      request: directReq,
      connections: 1,
    });
    results.push(direct1);
    const relay1 = await run(
      { label: "relay, 1 conn", port: relayPort, request: relayReq, connections: 1 },
      WARMUP_MS,
      relayPids,
    );
    results.push(relay1);
    const proxy1 = await run({
      label: "proxy, 1 conn",
      port: proxyPort,
      request: proxyReq,
      connections: 1,
    });
    results.push(proxy1);
    const direct32 = await run({
      label: "direct, 32 conns",
      port: upstreamPort,
      request: directReq,
      connections: 32,
    });
    results.push(direct32);
    const relay32 = await run(
      { label: "relay, 32 conns", port: relayPort, request: relayReq, connections: 32 },
      WARMUP_MS,
      relayPids,
    );
    results.push(relay32);
    const proxy32 = await run({
      label: "proxy, 32 conns",
      port: proxyPort,
      request: proxyReq,
      connections: 32,
    });
    results.push(proxy32);
    results.push(
      await run({
        label: "direct, constant 1,000 RPS",
        port: upstreamPort,
        request: directReq,
        connections: 64,
        rate: 1000,
      }),
    );
    const paced = await run({
      label: "proxy, constant 1,000 RPS",
      port: proxyPort,
      request: proxyReq,
      connections: 64,
      rate: 1000,
    });
    results.push(paced);
    if (FLOOR) {
      results.push(
        await run({
          label: "app GET /healthz, 32 conns",
          port: proxyPort,
          request: getRequest(proxyPort, "/healthz"),
          connections: 32,
        }),
      );
    }

    // Failover: no warm-up, so the very first requests meet the failing backend.
    progress(`failover: ${DURATION_MS / 2000} s at 16 connections, one backend answers only 429`);
    const before429 = { ...bad.counts };
    const failover = await runLoad({
      label: "failover (1 of 2 → 429), 16 conns",
      port: proxyPort,
      request: failoverReq,
      connections: 16,
      durationMs: DURATION_MS / 2,
      pids,
    });
    results.push(failover);
    const sent429 = bad.counts.post - before429.post;
    const probes429 = bad.counts.get - before429.get;
    const cooldownsRes = await fetch(`${proxyUrl}/api/admin/cooldowns`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    const cooldowns = (await cooldownsRes.json()) as {
      active?: { backend: string; seconds_left: number }[];
    };
    const cooling = cooldowns.active?.find((c) => c.backend === `failover-429-${tag}`);

    clearInterval(sampler);
    const rssKB = procStatusKB(pid, "VmRSS");
    const hwmKB = procStatusKB(pid, "VmHWM");

    // ---- report
    const mb = (kb: number) => `${f1((kb * 1024) / 1e6)} MB`;
    const core = (n: number) => `${Math.round(n * 100)}%`;
    log();
    log("commandpost proxy benchmark");
    log(
      `machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? "?"}), Node ${process.version}; ` +
        "load generator (this process), proxy and upstream each run in their own process and " +
        "share these cores, so every figure includes that contention",
    );
    log(
      `runs: ${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s measured, closed loop ` +
        "(each connection sends again on its answer) unless paced; latency = request write → " +
        "last response byte, in ms; CPU = share of one core during the run (other = every " +
        "other process on the machine)",
    );
    log();
    log(
      table([
        [
          "run",
          "conns",
          "requests",
          "RPS",
          "mean ms",
          "p50 ms",
          "p99 ms",
          "max ms",
          "success",
          "CPU proxy/upstr/gen/other",
        ],
        ...results.map((r) => [
          r.label,
          r.rate === undefined ? String(r.connections) : `≤${r.connections}`,
          int(r.done),
          int(r.rps),
          f3(r.mean),
          f3(r.p50),
          f3(r.p99),
          f1(r.max),
          pct(r.ok / r.done),
          `${r.label.startsWith("direct") ? "–" : core(r.cpu.proxy)}/${core(r.cpu.upstream)}/` +
            `${core(r.cpu.loadgen)}/${core(r.cpu.other)}`,
        ]),
      ]),
    );
    for (const r of results) {
      if (r.ok !== r.done || r.errors > 0) log(`  ${r.label}: ${statusSummary(r)}`);
    }
    const noisiest = Math.max(...results.map((r) => r.cpu.other));
    if (noisiest > 0.1) {
      log(
        `  WARNING: other processes on this machine used up to ${core(noisiest)} of a core ` +
          "during a run (column 'other'); those figures are disturbed, run again on a quiet machine",
      );
    }
    if (paced.queued > 0)
      log(`  constant 1,000 RPS: ${paced.queued} sends waited for a connection`);
    log();
    const added1 = proxy1.p50 - direct1.p50;
    const added32 = proxy32.p50 - direct32.p50;
    log(
      `added latency (proxy p50 − direct p50): ${f3(added1)} ms at 1 connection, ` +
        `${f3(added32)} ms at 32 connections`,
    );
    log(
      `proxy RPS at 32 connections: ${int(proxy32.rps)} (${pct(proxy32.rps / direct32.rps)} of direct, ` +
        `${pct(proxy32.rps / relay32.rps)} of the bare relay's ${int(relay32.rps)})`,
    );
    const addedMean = proxy1.mean - direct1.mean;
    const relayAddedMean = relay1.mean - direct1.mean;
    log(
      `added mean latency at 1 connection: proxy ${f3(addedMean)} ms, bare relay ${f3(relayAddedMean)} ms`,
    );
    log(
      `failover: ${int(failover.done)} requests, the failing upstream answered ${sent429} × 429 ` +
        `to proxied calls (+${probes429} health probes); its cooldown ` +
        (cooling ? `is running, ${cooling.seconds_left} s left` : "is NOT running"),
    );
    log(
      `proxy RSS (${DATABASE_URL ? "Postgres" : "PGlite, second boot"}): ${mb(idleRssKB)} idle ` +
        `after start, ${mb(peakSampledKB)} peak sampled every 200 ms, ${mb(hwmKB)} VmHWM (peak), ` +
        `${mb(rssKB)} at the end` +
        (firstBootHwmKB === undefined
          ? ""
          : `; the first boot (PGlite initdb) peaked at ${mb(firstBootHwmKB)}`),
    );
    log();
    const verdict = (pass: boolean) => (pass ? "PASS" : "MISS");
    log(
      table([
        ["target", "measured", "goal", ""],
        [
          "RPS at 32 connections, share of the relay's",
          pct(proxy32.rps / relay32.rps),
          `≥ ${pct(TARGETS.rps32OfRelay)}`,
          verdict(proxy32.rps >= TARGETS.rps32OfRelay * relay32.rps && proxy32.ok === proxy32.done),
        ],
        [
          "added mean latency, 1 connection",
          `${f3(addedMean)} ms`,
          `≤ relay ${f3(relayAddedMean)} + ${TARGETS.meanOverRelayMs} ms`,
          verdict(addedMean <= relayAddedMean + TARGETS.meanOverRelayMs),
        ],
        [
          "added latency p50, 1 connection",
          `${f3(added1)} ms`,
          `≤ ${TARGETS.addedP50Ms} ms`,
          verdict(added1 <= TARGETS.addedP50Ms),
        ],
        [
          "RPS through the proxy, 32 connections",
          int(proxy32.rps),
          `≥ ${int(TARGETS.rps32)}`,
          verdict(proxy32.rps >= TARGETS.rps32 && proxy32.ok === proxy32.done),
        ],
        [
          "p99 at a constant 1,000 RPS",
          `${f3(paced.p99)} ms`,
          `≤ ${TARGETS.p99At1000Ms} ms`,
          verdict(paced.p99 <= TARGETS.p99At1000Ms && paced.ok === paced.done),
        ],
        [
          "success in the failover run",
          pct(failover.ok / failover.done),
          "100 %",
          verdict(failover.ok / failover.done >= TARGETS.failoverSuccess && failover.errors === 0),
        ],
        [
          `proxy RSS under load, peak (VmHWM, ${DATABASE_URL ? "Postgres" : "PGlite"})`,
          mb(hwmKB),
          DATABASE_URL ? `≤ ${TARGETS.rssMB} MB` : "set on Postgres",
          DATABASE_URL ? verdict((hwmKB * 1024) / 1e6 <= TARGETS.rssMB) : "–",
        ],
      ]),
    );
    log();
    log(`total time: ${f1((performance.now() - started) / 1000)} s`);

    // Stop the proxy cleanly (a --cpu-prof profile is written on exit).
    await cleanup();
    await proxy.stop();
    await upstream.stop();
    if (CPU_PROF_DIR) log(`CPU profile of the proxy written to ${resolve(CPU_PROF_DIR)}`);
  } finally {
    await Promise.all([...children].map((c) => c.stop()));
    await bad?.close();
    await rm(dataDir, { recursive: true, force: true });
    tempDirs.delete(dataDir);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const watchdog = setTimeout(() => {
    process.stderr.write("bench:proxy: gave up after 170 s\n");
    void abortAll(1);
  }, WATCHDOG_MS);
  watchdog.unref();

  let interrupted = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      process.stderr.write(`bench:proxy: ${signal}, stopping the children\n`);
      void abortAll(130);
    });
  }

  main().then(
    () => process.exit(0),
    (err: unknown) => {
      if (interrupted) return;
      process.stderr.write(
        `bench:proxy failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      void abortAll(1);
    },
  );
}

import { execFileSync, spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Paths of the aiderw client and the fake aider (test/fixtures/fake-aider). */
export const ROOT = resolve(import.meta.dirname, "..", "..");
export const AIDERW = join(ROOT, "scripts", "aiderw");
export const AIDER_WATCH = join(ROOT, "scripts", "aider-watch");
export const FAKE_AIDER = join(ROOT, "test", "fixtures", "fake-aider");

/** Git identity and dates fixed, so the same run makes the same commit sha in every repo. */
export const GIT_ENV = {
  GIT_AUTHOR_NAME: "Dev",
  GIT_AUTHOR_EMAIL: "dev@example.com",
  GIT_COMMITTER_NAME: "Dev",
  GIT_COMMITTER_EMAIL: "dev@example.com",
  GIT_AUTHOR_DATE: "2026-04-19T22:05:33+08:00",
  GIT_COMMITTER_DATE: "2026-04-19T22:05:33+08:00",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
};

/** A process's result. */
export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  /** Wall time, ms. */
  ms: number;
}

/** Runs a command to its end with pipes (stdin: `input`, or closed at once). */
export function runProc(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string },
): Promise<ProcResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: "pipe" });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
        ms: performance.now() - started,
      }),
    );
    child.stdin.end(opts.input ?? "");
  });
}

/** A temporary git repository holding the files the fake aider edits (fixture session 2). */
export function makeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "aiderw-repo-"));
  mkdirSync(join(dir, "routes"));
  mkdirSync(join(dir, "tests"));
  writeFileSync(
    join(dir, "routes", "auth.py"),
    'def me(request):\n    token = request.headers["Authorization"].split(" ")[1]\n    return lookup(token)\n',
  );
  writeFileSync(
    join(dir, "tests", "test_auth.py"),
    'def test_valid_token(client):\n    assert client.get("/me", headers=AUTH).status_code == 200\n',
  );
  writeFileSync(join(dir, ".gitignore"), ".aider*\n");
  const git = (...a: string[]) =>
    execFileSync("git", a, { cwd: dir, env: { ...process.env, ...GIT_ENV }, stdio: "pipe" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "initial");
  return dir;
}

/** `git rev-parse HEAD` in `dir`. */
export function headSha(dir: string): string {
  return execFileSync("git", ["rev-parse", "HEAD"], { cwd: dir, encoding: "utf8" }).trim();
}

/** A bin directory with a symlink to scripts/aiderw (the way a user installs it). */
export function linkedAiderw(): { bin: string; aiderw: string; cleanup(): void } {
  const bin = mkdtempSync(join(tmpdir(), "aiderw-bin-"));
  const aiderw = join(bin, "aiderw");
  symlinkSync(AIDERW, aiderw);
  return { bin, aiderw, cleanup: () => rmSync(bin, { recursive: true, force: true }) };
}

/** Session ids with a JSONL file under `home/sessions`. */
export function sessionIds(home: string): string[] {
  return sessionFiles(home).map((f) => (f.split("/").pop() ?? "").replace(/\.jsonl$/, ""));
}

/** Every session JSONL file under `home/sessions`. */
export function sessionFiles(home: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: string[] = [];
    try {
      entries = readdirSync(d, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? `${e.name}/` : e.name,
      );
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.endsWith("/")) walk(join(d, e.slice(0, -1)));
      else if (e.endsWith(".jsonl")) out.push(join(d, e));
    }
  };
  walk(join(home, "sessions"));
  return out.sort();
}

/** Events of a JSONL file. */
export function readEvents(
  file: string,
): Array<{ id: string; type: string; session_id: string; payload: Record<string, unknown> }> {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** All text under `dir` (files concatenated), for "the secret is nowhere" checks. */
export function allText(dir: string): string {
  let text = "";
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else text += readFileSync(p, "utf8");
    }
  };
  try {
    walk(dir);
  } catch {
    /* nothing there */
  }
  return text;
}

/** A port where nothing listens (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A server that accepts TCP connections and never answers (a hung or blackholed server). */
export async function blackhole(): Promise<{
  url: string;
  connections: () => number;
  stop(): Promise<void>;
}> {
  const sockets: Socket[] = [];
  let count = 0;
  const s: Server = createServer((sock) => {
    count++;
    sockets.push(sock);
    sock.on("error", () => {});
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    stop: async () => {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => s.close(() => r()));
    },
  };
}

/** Median and max of wall times, ms. */
export function stats(ms: number[]): { median: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
  return { median, max: s[s.length - 1] ?? 0 };
}

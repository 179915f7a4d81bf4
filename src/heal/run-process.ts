import { spawn } from "node:child_process";
import { redactText } from "../redact.ts";

/** What a finished process gave back. */
export interface ProcessResult {
  /** Exit code; null when it was killed by a signal or could not be started. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Killed because it ran past `timeoutMs`. */
  timedOut: boolean;
  /** Killed because stdout + stderr passed `maxBuffer`; the output is cut there. */
  overflow: boolean;
  /** Killed because `signal` was aborted (the process is stopping). */
  aborted: boolean;
}

/** Options of {@link runProcess}. */
export interface RunOptions {
  cwd?: string;
  /** Wall time allowed, in ms; then the process group gets SIGTERM. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** Bytes of stdout + stderr kept; more kills the group (default 16 MiB). */
  maxBuffer?: number;
  /** Time between SIGTERM and SIGKILL to the process group, in ms (default 5000). */
  killGraceMs?: number;
  /** Aborting it kills the process group as a timeout would. */
  signal?: AbortSignal;
}

/** Default output limit: 16 MiB, far above what a fixer or a restart command prints. */
export const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;

/**
 * Runs `file` with `args` (never through a shell: no shell string from a request is ever
 * run) in its own process group, stdin closed. On timeout, output overflow or abort the whole
 * group gets SIGTERM, then SIGKILL after `killGraceMs`, so a process that ignores SIGTERM or
 * a grandchild it started cannot outlive the run. When the process exits but something it
 * left behind still holds its stdout or stderr, that group is killed the same way and the
 * pipes are closed after the grace: the run always ends. Resolves on any outcome; a process
 * that cannot be started gives code null and the reason in `stderr`.
 */
export function runProcess(
  file: string,
  args: readonly string[],
  opts: RunOptions,
): Promise<ProcessResult> {
  const maxBuffer = opts.maxBuffer ?? DEFAULT_MAX_BUFFER;
  const graceMs = opts.killGraceMs ?? 5000;
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[], bytes: 0 };
    const state = { timedOut: false, overflow: false, aborted: false };
    let code: number | null = null;
    let exited = false;
    let done = false;
    const timers: NodeJS.Timeout[] = [];

    const killGroup = () => {
      signalGroup(child.pid, "SIGTERM");
      timers.push(setTimeout(() => signalGroup(child.pid, "SIGKILL"), graceMs));
    };
    const finish = (launchError?: string) => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      opts.signal?.removeEventListener("abort", onAbort);
      const stderr = Buffer.concat(out.stderr).toString("utf8");
      resolve({
        code: launchError ? null : code,
        stdout: Buffer.concat(out.stdout).toString("utf8"),
        stderr: launchError ? `${stderr}${launchError}` : stderr,
        ...state,
      });
    };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      if (state.overflow) return;
      const room = maxBuffer - out.bytes;
      into.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      out.bytes += Math.min(chunk.length, room);
      if (chunk.length > room) {
        state.overflow = true;
        killGroup();
      }
    };
    const onAbort = () => {
      state.aborted = true;
      killGroup();
    };

    child.stdout.on("data", collect(out.stdout));
    child.stderr.on("data", collect(out.stderr));
    child.once("error", (err) => finish(`cannot run ${file}: ${err.message}`));
    child.once("exit", (exitCode) => {
      exited = true;
      code = exitCode;
      // Anything left in the group (a child holding stdout, a daemon) is part of the run.
      if (groupAlive(child.pid)) killGroup();
      timers.push(
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish();
        }, graceMs + 500),
      );
    });
    child.once("close", () => {
      if (exited) finish();
    });
    timers.push(
      setTimeout(() => {
        if (exited) return;
        state.timedOut = true;
        killGroup();
      }, opts.timeoutMs),
    );
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Sends `signal` to the process group led by `pid`; a group that is gone is fine. */
function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* ESRCH: the group has ended */
  }
}

/** Whether a process of the group led by `pid` still runs. */
export function groupAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One line saying why a process did not succeed (for reasons in the chat and the audit). */
export function failureOf(
  what: string,
  r: ProcessResult,
  opts: { timeoutMs: number; maxBuffer?: number },
): string {
  if (r.overflow) {
    const mib = (opts.maxBuffer ?? DEFAULT_MAX_BUFFER) / 1048576;
    return `${what} printed more than ${+mib.toFixed(2)} MiB of output (maxBuffer); killed`;
  }
  if (r.timedOut) return `${what} timed out after ${+(opts.timeoutMs / 1000).toFixed(1)} s; killed`;
  if (r.aborted) return `${what} stopped: commandpost is shutting down`;
  if (r.code === null) return `${what} could not run or was killed: ${r.stderr.trim().slice(-200)}`;
  return `${what} exited ${r.code}`;
}

/**
 * Runs `git <args>` in `cwd` (60 s timeout, no terminal prompts).
 * @throws Error with git's stderr when it exits non-zero.
 */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  // Never wait for a credential prompt nobody can answer.
  const env = { ...process.env, GIT_TERMINAL_PROMPT: "0" };
  const r = await runProcess("git", args, { cwd, timeoutMs: 60_000, env });
  if (r.code !== 0) throw new Error(`git ${args[0]} failed: ${redactText(r.stderr.trim())}`);
  return r.stdout;
}

/** Fills `{name}` placeholders of an argv template; each element stays one argument. */
export function fillTemplate(
  template: readonly string[],
  values: Record<string, string>,
): string[] {
  return template.map((a) => a.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m));
}

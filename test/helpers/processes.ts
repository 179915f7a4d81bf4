import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** `/proc/<pid>/stat` fields after the command: state, ppid, pgrp … (Linux). */
function stat(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** Whether `pid` runs (a zombie, dead but not yet reaped, does not count). */
function alive(pid: number): boolean {
  const f = stat(pid);
  return f !== undefined && f[0] !== "Z";
}

/**
 * Pids of live processes in process group `pgid`, after giving killed ones up to `waitMs`
 * to die (Linux /proc).
 */
export async function liveInGroup(pgid: number, waitMs = 1000): Promise<number[]> {
  const scan = () =>
    readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((pid) => stat(pid)?.[2] === String(pgid) && alive(pid));
  const deadline = Date.now() + waitMs;
  let live = scan();
  while (live.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    live = scan();
  }
  return live;
}

/** Whether `pid` still runs after up to `waitMs` (Linux /proc). */
export async function running(pid: number, waitMs = 1000): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return alive(pid);
}

/**
 * Stops `child` with SIGTERM and resolves once it has exited, sending SIGKILL after `waitMs`
 * (ms). For servers that write their state on shutdown (Alertmanager snapshots its silences
 * and notification log into `--storage.path`): removing that directory before they exit
 * races their last writes (`ENOTEMPTY`).
 */
export async function stopChild(child: ChildProcess | undefined, waitMs = 5000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), waitMs);
  await exited;
  clearTimeout(timer);
}

import { formatDuration } from "../telegram-format.ts";

/**
 * Who runs an execution: recorded in the `running` audit row, in the same transaction that
 * moves the plan to `running`, so a later process can tell whether its runner is gone.
 */
export interface Runner {
  /** `os.hostname()` of the runner. */
  host: string;
  pid: number;
  /** A ULID made when the heal service was built: one per process lifetime. */
  instance: string;
}

/** Reads a {@link Runner} back from an audit row's detail; undefined when absent or malformed. */
export function runnerFrom(detail: Record<string, unknown> | undefined): Runner | undefined {
  const r = detail?.runner as Partial<Runner> | undefined;
  if (!r || typeof r.host !== "string" || typeof r.pid !== "number") return undefined;
  if (typeof r.instance !== "string") return undefined;
  return { host: r.host, pid: r.pid, instance: r.instance };
}

export { processAlive } from "../process-alive.ts";

/** What {@link interruptedReason} looks at. */
export interface OrphanCheck {
  startedAt: Date | null;
  /** From the plan's `running` audit row. */
  runner: Runner | undefined;
  /** This process. */
  self: Runner;
  now: Date;
  /** {@link runningLimitMs} of the settings. */
  limitMs: number;
  alive: (pid: number) => boolean;
}

/**
 * Why a `running` plan was left behind by a process that stopped (crash recovery),
 * or undefined when someone may still be running it. Rules, in order:
 * 1. run by this process instance → still running here;
 * 2. run on this host by this pid under another instance (a restart reused the pid, as pid 1
 *    in a container does), or by a pid that no longer exists → interrupted by a restart;
 * 3. otherwise (another host or a live process: another replica) only once it has run longer
 *    than any execution can (`limitMs`).
 */
export function interruptedReason(c: OrphanCheck): string | undefined {
  const { runner, self } = c;
  if (runner?.instance === self.instance) return undefined;
  if (runner && runner.host === self.host && (runner.pid === self.pid || !c.alive(runner.pid)))
    return "interrupted by a restart: the process running it stopped; check the target by hand";
  const ranMs = c.now.getTime() - (c.startedAt?.getTime() ?? 0);
  if (ranMs > c.limitMs)
    return `no result after ${formatDuration(ranMs)} (longest possible run ${formatDuration(c.limitMs)}): the process running it stopped; check the target by hand`;
  return undefined;
}

import { execFile } from "node:child_process";

/** What a finished process gave back. */
export interface ProcessResult {
  /** Exit code; null when killed (timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs `file` with `args` through `execFile`, never a shell (issue 5: no shell string from a
 * request is ever run). Resolves on any exit, including a non-zero one or the `timeoutMs` kill.
 */
export function runProcess(
  file: string,
  args: readonly string[],
  opts: { cwd?: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: opts.cwd,
        timeout: opts.timeoutMs,
        env: opts.env ?? process.env,
        maxBuffer: 16 * 1024 * 1024,
        encoding: "utf8",
      },
      (err, stdout, stderr) => {
        if (!err) return resolve({ code: 0, stdout, stderr, timedOut: false });
        const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
        const timedOut = e.killed === true;
        const code = typeof e.code === "number" ? e.code : timedOut ? null : 127;
        resolve({ code, stdout, stderr: stderr || e.message, timedOut });
      },
    );
  });
}

/**
 * Runs `git <args>` in `cwd` (60 s timeout).
 * @throws Error with git's stderr when it exits non-zero.
 */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const r = await runProcess("git", args, { cwd, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`git ${args[0]} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Fills `{name}` placeholders of an argv template; each element stays one argument. */
export function fillTemplate(
  template: readonly string[],
  values: Record<string, string>,
): string[] {
  return template.map((a) => a.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m));
}

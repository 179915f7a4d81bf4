import { keepOutput } from "./redact.ts";
import { failureOf, fillTemplate, type RunOptions, runProcess } from "./run-process.ts";

/** What the fixer did. */
export interface FixerResult {
  ok: boolean;
  code: number | null;
  timedOut: boolean;
  /** Its output passed `maxBuffer` and it was killed. */
  overflow: boolean;
  /** Stopped because commandpost is shutting down. */
  aborted: boolean;
  /** stdout + stderr, secrets redacted (kept in the audit). */
  output: string;
  /** Why it did not succeed, one line; undefined when it did. */
  failure: string | undefined;
}

/**
 * Runs the configured fixer (`HEAL_FIXER_CMD`; default aider with `--yes-always --no-git
 * --message`) in `repoPath` with `{message}` and `{file}` filled in, through
 * {@link runProcess}: never a shell, in its own process group, killed whole (SIGTERM, then
 * SIGKILL after `killGraceMs`) on timeout, output overflow or abort.
 */
export async function runFixer(
  template: readonly string[],
  values: { message: string; file: string },
  repoPath: string,
  opts: Omit<RunOptions, "cwd" | "env">,
): Promise<FixerResult> {
  const [file, ...args] = fillTemplate(template, values);
  if (!file)
    return {
      ok: false,
      code: null,
      timedOut: false,
      overflow: false,
      aborted: false,
      output: "",
      failure: "empty fixer command",
    };
  const r = await runProcess(file, args, { ...opts, cwd: repoPath });
  const ok = r.code === 0 && !r.timedOut && !r.overflow && !r.aborted;
  return {
    ok,
    code: r.code,
    timedOut: r.timedOut,
    overflow: r.overflow,
    aborted: r.aborted,
    output: keepOutput(`${r.stdout}\n${r.stderr}`.trim()),
    failure: ok ? undefined : failureOf("fixer", r, opts),
  };
}

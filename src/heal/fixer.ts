import { keepOutput } from "./redact.ts";
import { fillTemplate, runProcess } from "./run-process.ts";

/** What the fixer did. */
export interface FixerResult {
  ok: boolean;
  code: number | null;
  timedOut: boolean;
  /** stdout + stderr, secrets redacted (kept in the audit). */
  output: string;
}

/**
 * Runs the configured fixer (`HEAL_FIXER_CMD`; default aider with `--yes-always --no-git
 * --message`, seed 001) in `repoPath` with `{message}` and `{file}` filled in, through
 * execFile (never a shell), killed after `timeoutMs`.
 */
export async function runFixer(
  template: readonly string[],
  values: { message: string; file: string },
  repoPath: string,
  timeoutMs: number,
): Promise<FixerResult> {
  const [file, ...args] = fillTemplate(template, values);
  if (!file) return { ok: false, code: null, timedOut: false, output: "empty fixer command" };
  const r = await runProcess(file, args, { cwd: repoPath, timeoutMs });
  return {
    ok: r.code === 0,
    code: r.code,
    timedOut: r.timedOut,
    output: keepOutput(`${r.stdout}\n${r.stderr}`.trim()),
  };
}

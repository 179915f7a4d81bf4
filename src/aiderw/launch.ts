import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { constants } from "node:os";
import type { Readable } from "node:stream";

/**
 * Starting aider so that it cannot tell it is watched.
 *
 * - **pty** (stdin and stdout are terminals: interactive use): aider runs under util-linux
 *   `script -qec '<aider args>' /dev/null`, which gives it a pseudo-terminal, puts the
 *   user's terminal in raw mode, forwards keystrokes and window-size changes, and writes
 *   everything aider shows to its stdout, which we copy to ours byte for byte. `-e` returns
 *   aider's exit code (128+n for signal n). Chosen over node-pty: `script` ships with every
 *   Linux (util-linux) and macOS, needs no native build, and already does the raw-mode,
 *   resize and signal work a node-pty wrapper would have to redo. The command line is built
 *   for `/bin/sh` with every argument single-quoted, so aider gets exactly our argv.
 * - **pipe** otherwise: stdin is inherited untouched (aider reads it directly), stdout and
 *   stderr are pipes copied to ours, each to its own stream.
 */

/** How aider runs. */
export type LaunchMode = "pty" | "pipe";

/** A started aider. */
export interface Launched {
  mode: LaunchMode;
  child: ChildProcess;
  stdout: Readable;
  /** Under a pty stdout and stderr are one stream. */
  stderr: Readable | null;
}

/** Picks the mode: a pty only for a terminal on both ends and a usable `script`. */
export function chooseMode(policy: "auto" | "never"): LaunchMode {
  if (policy === "never") return "pipe";
  if (!process.stdin.isTTY || !process.stdout.isTTY) return "pipe";
  return scriptFlavour() ? "pty" : "pipe";
}

let flavour: "util-linux" | "bsd" | null | undefined;

/** `util-linux` on Linux; `bsd` on macOS/BSD (`script -q /dev/null cmd…`); null if none. */
export function scriptFlavour(): "util-linux" | "bsd" | null {
  if (flavour !== undefined) return flavour;
  const r = spawnSync("script", ["--version"], { encoding: "utf8", timeout: 1000 });
  if (!r.error && /util-linux/.test(`${r.stdout}${r.stderr}`)) flavour = "util-linux";
  else if (process.platform === "darwin" || /bsd$/.test(process.platform)) flavour = "bsd";
  else flavour = null;
  return flavour;
}

/** `it's` → `'it'\''s'`: one argument for /bin/sh, whatever it holds. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `script -c` command line: the user's SHELL restored for aider (script itself is told
 * to use /bin/sh, whose quoting we know), then `exec` of aider with its arguments.
 */
export function ptyCommand(bin: string, args: readonly string[], shell: string | undefined) {
  const restore = shell === undefined ? "unset SHELL; " : `SHELL=${shQuote(shell)} `;
  return `${restore}exec ${[bin, ...args].map(shQuote).join(" ")}`;
}

/** Starts aider in `mode`. Spawn errors surface on `child` ('error'). */
export function launch(
  mode: LaunchMode,
  bin: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Launched {
  if (mode === "pty") {
    const bsd = scriptFlavour() === "bsd";
    const child = bsd
      ? spawn("script", ["-q", "/dev/null", bin, ...args], {
          stdio: ["inherit", "pipe", "inherit"],
          env,
        })
      : spawn("script", ["-qec", ptyCommand(bin, args, env.SHELL), "/dev/null"], {
          stdio: ["inherit", "pipe", "inherit"],
          env: { ...env, SHELL: "/bin/sh" },
        });
    return { mode, child, stdout: child.stdout as Readable, stderr: null };
  }
  const child = spawn(bin, [...args], { stdio: ["inherit", "pipe", "pipe"], env });
  return { mode, child, stdout: child.stdout as Readable, stderr: child.stderr as Readable };
}

/** The shell's convention: the exit code, or 128+n for a death by signal n. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (signal) return 128 + (constants.signals[signal] ?? 0);
  return 1;
}

/**
 * aider's own pid: the child itself in pipe mode; under `script` its child (Linux
 * `/proc/<pid>/task/<pid>/children`), else script's pid.
 */
export function aiderPidOf(
  l: Launched,
  readChildren: (pid: number) => string | null,
): number | null {
  const pid = l.child.pid ?? null;
  if (pid === null || l.mode === "pipe") return pid;
  const kids = readChildren(pid)?.trim().split(/\s+/).filter(Boolean) ?? [];
  return kids.length ? Number(kids[0]) : pid;
}

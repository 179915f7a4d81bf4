import { spawn } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * `aiderw [aider args…]`: runs `AIDER_BIN` (default `aider`) with exactly
 * these arguments in the current directory, its output unchanged, and exits with its exit
 * code, while the session is watched and reported to commandpost.
 *
 * This entry imports only Node built-ins. The watch is loaded with a dynamic import; if it
 * cannot be loaded or fails before aider starts, aider runs unwatched, so a broken install
 * of the watch never stands between the user and aider.
 */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  let run: (args: string[]) => Promise<number>;
  try {
    ({ runWatched: run } = await import("./run.ts"));
  } catch (err) {
    note("cannot load the watch; aider runs unwatched", err);
    return runPlain(args);
  }
  try {
    return await run(args);
  } catch (err) {
    // Thrown only before aider was started (see runWatched).
    note("watch failed before aider started; aider runs unwatched", err);
    return runPlain(args);
  }
}

/** aider with inherited stdio and nothing else. */
function runPlain(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.env.AIDER_BIN || "aider", args, { stdio: "inherit" });
    process.on("SIGINT", () => {});
    process.on("SIGQUIT", () => {});
    child.on("error", (err) => {
      process.stderr.write(`aiderw: cannot run aider: ${err.message}\n`);
      resolve(127);
    });
    child.on("close", (code, signal) => {
      if (code !== null) return resolve(code);
      import("node:os").then(({ constants }) =>
        resolve(128 + (signal ? (constants.signals[signal] ?? 0) : 0)),
      );
    });
  });
}

/** Last-resort log line in AIDERW_HOME/aiderw.log (the full logger may be what failed). */
function note(what: string, err: unknown): void {
  try {
    const home = process.env.AIDERW_HOME || join(homedir(), ".commandpost", "aiderw");
    mkdirSync(home, { recursive: true });
    const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    appendFileSync(
      join(home, "aiderw.log"),
      `${new Date().toISOString()} error pid=${process.pid} ${what}: ${msg}\n`,
    );
  } catch {
    /* nothing more to do */
  }
}

/** Exits once our stdout and stderr have been written out (pipes are async on some OSes). */
function exitAfterDrain(code: number): void {
  let pending = 0;
  const done = () => {
    if (--pending <= 0) process.exit(code);
  };
  for (const s of [process.stdout, process.stderr]) {
    if (s.writableLength > 0 && !s.destroyed) {
      pending++;
      s.once("drain", done);
      s.once("error", done);
    }
  }
  if (pending === 0) process.exit(code);
}

main().then(exitAfterDrain, (err) => {
  note("aiderw", err);
  exitAfterDrain(1);
});

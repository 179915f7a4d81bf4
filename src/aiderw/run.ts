import { readFileSync } from "node:fs";
import { flushableFiles, SessionBuffer } from "./buffer.ts";
import { loadWatchConfig, type WatchConfig } from "./config.ts";
import { Dispatcher } from "./dispatcher.ts";
import { newId } from "./events.ts";
import { flushBuffer } from "./flush.ts";
import { gitStart } from "./git-facts.ts";
import { historyPath, historySize } from "./history.ts";
import { aiderPidOf, chooseMode, exitCodeOf, type Launched, launch } from "./launch.ts";
import type { Target } from "./sender.ts";
import { emitSessionEnd } from "./session-end.ts";
import { InternalLog, SessionLog, sessionLogPath } from "./session-log.ts";
import { LiveWatch } from "./watcher.ts";

/** Invocations that only print information: passed through, not recorded as sessions. */
const INFO_ONLY = new Set(["--version", "-h", "--help", "--list-models", "--models"]);

/**
 * Runs aider watched and resolves with its exit code. Everything that
 * can fail before aider starts throws (the caller then runs aider unwatched); once aider
 * runs, a failure of the watch is logged to aiderw.log and only the watch stops: the bytes
 * keep flowing and aider's exit code is still returned.
 */
export async function runWatched(args: string[]): Promise<number> {
  const config = loadWatchConfig();
  const log = new InternalLog(config.home);
  for (const p of config.problems) log.error(`config: ${p}`);
  const env = { ...process.env };
  delete env.COMMANDPOST_INGEST_TOKEN; // aider and what it runs have no use for it
  if (args.some((a) => INFO_ONLY.has(a))) {
    const code = await passThrough(launch(chooseMode(config.pty), config.aiderBin, args, env), log);
    return code === SPAWN_FAILED ? 127 : code;
  }

  const cwd = process.cwd();
  const startedAt = new Date();
  const sessionId = newId(startedAt.getTime());
  const git = gitStart(cwd);
  const historyFile = historyPath(args, cwd, git?.root ?? null);
  const historyOffset = historySize(historyFile);
  const mode = chooseMode(config.pty);
  let launched = launch(mode, config.aiderBin, args, env);

  let watch: LiveWatch | null = null;
  let dispatcher: Dispatcher | null = null;
  try {
    dispatcher = new Dispatcher({
      target: config.target,
      home: config.home,
      sessionLog: new SessionLog(sessionLogPath(config.home, sessionId, startedAt)),
      buffer: new SessionBuffer(config.home, sessionId),
      log,
      sendTimeoutMs: config.sendTimeoutMs,
    });
    watch = new LiveWatch({
      sessionId,
      config,
      dispatcher,
      args,
      cwd,
      startedAt,
      aiderPid: () => aiderPidOf(launched, readChildren),
    });
  } catch (err) {
    log.error("watch setup; aider runs unwatched", err);
  }
  if (config.target && config.autoflush) autoflush(config.home, config.target, config, log);

  let exitCode = await passThrough(launched, log, watch);
  if (exitCode === SPAWN_FAILED && launched.mode === "pty") {
    // `script` itself could not start: aider runs with pipes instead.
    launched = launch("pipe", config.aiderBin, args, env);
    exitCode = await passThrough(launched, log, watch);
  }
  if (watch && dispatcher && exitCode !== SPAWN_FAILED) {
    try {
      watch.end();
      await emitSessionEnd({ watch, git, historyFile, historyOffset, startedAt, exitCode, log });
    } catch (err) {
      log.error("session end", err);
    }
    await dispatcher.close(config.endWaitMs).catch((err) => log.error("dispatch close", err));
  }
  return exitCode === SPAWN_FAILED ? 127 : exitCode;
}

/** How long aider's output may keep flowing after it exited (a child holding its stdout). */
const DRAIN_GRACE_MS = 500;

/** Internal marker: aider could not be started at all. */
const SPAWN_FAILED = -1;

/**
 * Copies aider's output to ours unchanged (then lets the watch look at it), handles
 * signals, and resolves with aider's exit code once its output is drained.
 */
function passThrough(
  l: Launched,
  log: InternalLog,
  watch: LiveWatch | null = null,
): Promise<number> {
  return new Promise((resolve) => {
    const observe = (stream: "stdout" | "stderr", chunk: Buffer) => {
      if (!watch) return;
      try {
        watch.output(stream, chunk);
      } catch (err) {
        log.error("watch stopped", err);
        watch = null;
      }
    };
    l.stdout.pipe(process.stdout, { end: false });
    l.stdout.on("data", (c: Buffer) => observe("stdout", c));
    if (l.stderr) {
      l.stderr.pipe(process.stderr, { end: false });
      l.stderr.on("data", (c: Buffer) => observe("stderr", c));
    }
    for (const s of [process.stdout, process.stderr]) s.on("error", () => {}); // EPIPE: reader gone
    const forward = (sig: NodeJS.Signals) => () => {
      try {
        l.child.kill(sig);
      } catch {
        /* already gone */
      }
    };
    // The terminal sends ^C and ^\ to aider itself (same process group, or through the
    // pty); forwarding them would deliver them twice. TERM and HUP aimed at us are passed on.
    process.on("SIGINT", () => {});
    process.on("SIGQUIT", () => {});
    process.on("SIGTERM", forward("SIGTERM"));
    process.on("SIGHUP", forward("SIGHUP"));
    l.child.on("error", (err) => {
      log.error(`cannot run aider (${l.mode})`, err);
      if (l.mode === "pipe") process.stderr.write(`aiderw: cannot run aider: ${err.message}\n`);
      resolve(SPAWN_FAILED);
    });
    // aider's exit ends the run even if something it started still holds its output open
    // (the shell would not wait for that either): the output gets a moment to drain.
    l.child.on("exit", (code, signal) => {
      const done = () => resolve(exitCodeOf(code, signal));
      const grace = setTimeout(() => {
        l.stdout.destroy();
        l.stderr?.destroy();
        done();
      }, DRAIN_GRACE_MS);
      l.child.on("close", () => {
        clearTimeout(grace);
        done();
      });
    });
  });
}

/**
 * Sends what earlier sessions left in the buffer, in the background while aider runs (the
 * server is likely back if this session's sends work; a failed try costs aider nothing).
 * Not awaited: at the end the process exits, and a file it was sending when killed goes
 * back to the pool (its claim names a dead pid).
 */
function autoflush(home: string, target: Target, config: WatchConfig, log: InternalLog): void {
  try {
    if (!flushableFiles(home).length) return;
    flushBuffer(home, target, config.sendTimeoutMs).then(
      (r) => log.info(`autoflush: ${r.sent} sent, ${r.rejected} rejected, ${r.left} left`),
      (err) => log.error("autoflush", err),
    );
  } catch (err) {
    log.error("autoflush", err);
  }
}

/** Linux: the children of `pid` (for aider's pid under `script`). */
function readChildren(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8");
  } catch {
    return null;
  }
}

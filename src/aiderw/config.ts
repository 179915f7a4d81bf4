import { homedir, hostname } from "node:os";
import { join } from "node:path";
import type { Target } from "./sender.ts";

/**
 * aiderw / aider-watch settings, all from the environment. A bad value
 * never stops aider: it falls back to the default and is named in `problems` (logged to
 * aiderw.log and shown by `aider-watch doctor`).
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `COMMANDPOST_URL` | unset → events are only buffered | server base URL |
 * | `COMMANDPOST_INGEST_TOKEN` | unset → events are only buffered | bearer token (`INGEST_TOKEN`) |
 * | `AIDER_BIN` | `aider` | the aider executable |
 * | `AIDERW_HOME` | `~/.commandpost/aiderw` | buffer, sessions, rejected events, aiderw.log |
 * | `AIDERW_SILENT_S` | 120 | seconds without output before `silent_timeout` |
 * | `AIDERW_SEND_TIMEOUT_MS` | 2000 | one send's timeout during the session |
 * | `AIDERW_END_WAIT_MS` | 800 | the most the end waits for sends before buffering |
 * | `AIDERW_RAW` | 1 | `0` sends no `raw` output chunks |
 * | `AIDERW_AUTOFLUSH` | 1 | `0`: a session does not send earlier sessions' buffer |
 * | `AIDERW_PTY` | auto | `auto`: a pty when stdin and stdout are terminals; `never` |
 * | `AIDERW_HOST` | the host name | `session_start.host` |
 */
export interface WatchConfig {
  target: Target | null;
  aiderBin: string;
  home: string;
  silentMs: number;
  sendTimeoutMs: number;
  endWaitMs: number;
  raw: boolean;
  autoflush: boolean;
  pty: "auto" | "never";
  host: string;
  /** Settings that were invalid and fell back to their default. */
  problems: string[];
}

/** Reads the settings from `env`. Never throws. */
export function loadWatchConfig(env: NodeJS.ProcessEnv = process.env): WatchConfig {
  const problems: string[] = [];
  const num = (name: string, def: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return def;
    const n = Number(raw);
    if (Number.isFinite(n) && n >= min && n <= max) return n;
    problems.push(`${name}=${raw.slice(0, 40)} is not a number in [${min}, ${max}]; using ${def}`);
    return def;
  };
  const url = env.COMMANDPOST_URL?.trim() || "";
  const token = env.COMMANDPOST_INGEST_TOKEN?.trim() || "";
  if (url && !/^https?:\/\/[^\s]+$/.test(url))
    problems.push("COMMANDPOST_URL is not an http(s) URL");
  const target = url && token && /^https?:\/\//.test(url) ? { url, token } : null;
  const pty = env.AIDERW_PTY === "never" ? "never" : "auto";
  if (env.AIDERW_PTY && env.AIDERW_PTY !== "never" && env.AIDERW_PTY !== "auto") {
    problems.push(`AIDERW_PTY=${env.AIDERW_PTY.slice(0, 20)} is not auto or never; using auto`);
  }
  return {
    target,
    aiderBin: env.AIDER_BIN || "aider",
    home: env.AIDERW_HOME || join(homedir(), ".commandpost", "aiderw"),
    silentMs: num("AIDERW_SILENT_S", 120, 0.05, 86_400) * 1000,
    sendTimeoutMs: num("AIDERW_SEND_TIMEOUT_MS", 2000, 50, 60_000),
    endWaitMs: num("AIDERW_END_WAIT_MS", 800, 0, 60_000),
    raw: env.AIDERW_RAW !== "0",
    autoflush: env.AIDERW_AUTOFLUSH !== "0",
    pty,
    host: env.AIDERW_HOST || hostname(),
    problems,
  };
}

import {
  accessSync,
  constants,
  mkdirSync,
  readFileSync,
  statfsSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { bufferStats, rejectedPath } from "./buffer.ts";
import type { WatchConfig } from "./config.ts";
import { scriptFlavour } from "./launch.ts";
import { describeFetchError, postEvents } from "./sender.ts";

/** One line of `aider-watch doctor`. */
export interface Check {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
}

/** Free space below which the disk check fails. */
const MIN_FREE_BYTES = 100 * 1024 * 1024;

/**
 * `aider-watch doctor`: checks the settings, the server (`/healthz`), the
 * token (a POST of `[]`: 401/403 means the token is refused; 202, or a 400 for the empty
 * batch, means it was accepted, since the server checks the token before the body), the
 * buffer (count, oldest), rejected events, the disk under `AIDERW_HOME`, the aider
 * executable and the pty helper. Each check names what is wrong; any `fail` → exit 1.
 */
export async function runDoctor(config: WatchConfig, timeoutMs = 3000): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, status: Check["status"], detail: string) =>
    checks.push({ name, status, detail });

  for (const p of config.problems) add("config", "fail", p);
  const env = process.env;
  if (!env.COMMANDPOST_URL)
    add("config", "fail", "COMMANDPOST_URL is not set: events are only buffered");
  if (!env.COMMANDPOST_INGEST_TOKEN) {
    add("config", "fail", "COMMANDPOST_INGEST_TOKEN is not set: events are only buffered");
  }

  if (config.target) {
    const up = await checkServer(config.target.url, timeoutMs);
    add("server", up.ok ? "ok" : "fail", up.detail);
    if (up.ok) {
      const out = await postEvents(config.target, [], timeoutMs);
      if (out.kind === "accepted" || (out.kind === "rejected" && out.status === 400)) {
        add("token", "ok", "the server accepts COMMANDPOST_INGEST_TOKEN");
      } else if (out.kind === "refused" && (out.status === 401 || out.status === 403)) {
        add(
          "token",
          "fail",
          `the server refuses COMMANDPOST_INGEST_TOKEN (HTTP ${out.status}): it must equal the server's INGEST_TOKEN`,
        );
      } else if (out.kind === "refused" && out.status === 404) {
        add("token", "fail", "the server has no /api/aider/events (an older commandpost?)");
      } else {
        add(
          "token",
          "fail",
          `cannot check the token: ${out.kind === "unreachable" ? out.error : `${out.error}`}`,
        );
      }
    }
  }

  const b = bufferStats(config.home);
  if (b.events === 0) add("buffer", "ok", "empty");
  else {
    const open = b.open ? ` (${b.open} file(s) of running sessions)` : "";
    add(
      "buffer",
      "warn",
      `${b.events} event(s) in ${b.files} file(s)${open}, oldest ${b.oldest}: run \`aider-watch flush\``,
    );
  }
  if (b.rejected) {
    add(
      "rejected",
      "fail",
      `${b.rejected} event(s) refused by the server as bad; see ${rejectedPath(config.home)} (remove it once looked at)`,
    );
  } else add("rejected", "ok", "none");

  checks.push(checkDisk(config.home));
  const bin = which(config.aiderBin);
  add(
    "aider",
    bin ? "ok" : "fail",
    bin ? bin : `${config.aiderBin} not found on PATH (set AIDER_BIN)`,
  );
  const flavour = scriptFlavour();
  add(
    "pty",
    flavour ? "ok" : "warn",
    flavour ? `script (${flavour})` : "no util-linux script: interactive aider runs without a pty",
  );
  const last = lastLoggedError(config.home);
  if (last) add("log", "warn", `last wrapper error: ${last}`);
  return checks;
}

async function checkServer(
  url: string,
  timeoutMs: number,
): Promise<{ ok: boolean; detail: string }> {
  const started = Date.now();
  const at = `${url.replace(/\/+$/, "")}/healthz`;
  try {
    const res = await fetch(at, { signal: AbortSignal.timeout(timeoutMs) });
    await res.text().catch(() => "");
    const ms = Date.now() - started;
    return res.ok
      ? { ok: true, detail: `${url} answers /healthz (${ms} ms)` }
      : { ok: false, detail: `${url} answers /healthz with HTTP ${res.status}` };
  } catch (err) {
    return {
      ok: false,
      detail: `server unreachable at ${url}: ${describeFetchError(err, timeoutMs)}`,
    };
  }
}

/** AIDERW_HOME writable and with room (free space of its file system). */
function checkDisk(home: string): Check {
  try {
    mkdirSync(home, { recursive: true });
    const probe = join(home, `.doctor-${process.pid}`);
    writeFileSync(probe, "ok");
    unlinkSync(probe);
    const s = statfsSync(home);
    const free = Number(s.bavail) * Number(s.bsize);
    const mib = Math.floor(free / 1024 / 1024);
    return free < MIN_FREE_BYTES
      ? { name: "disk", status: "fail", detail: `only ${mib} MiB free under ${home}` }
      : { name: "disk", status: "ok", detail: `${mib} MiB free under ${home}` };
  } catch (err) {
    return {
      name: "disk",
      status: "fail",
      detail: `${home} is not writable: ${(err as Error).message}`,
    };
  }
}

/** The executable `bin` resolves to on PATH, or null. */
function which(bin: string): string | null {
  const candidates = bin.includes("/")
    ? [bin]
    : (process.env.PATH ?? "")
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, bin));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return isAbsolute(c) ? c : join(process.cwd(), c);
    } catch {
      /* next */
    }
  }
  return null;
}

/** The last `error` line of aiderw.log from the last 24 hours, shortened. */
function lastLoggedError(home: string): string | null {
  try {
    const lines = readFileSync(join(home, "aiderw.log"), "utf8").split("\n");
    for (let i = lines.length - 1; i >= 0; i--) {
      const l = lines[i] ?? "";
      const m = /^(\S+) error (.*)$/.exec(l);
      if (m && Date.now() - Date.parse(m[1] ?? "") < 86_400_000)
        return `${m[1]} ${m[2]}`.slice(0, 300);
    }
  } catch {
    /* no log */
  }
  return null;
}

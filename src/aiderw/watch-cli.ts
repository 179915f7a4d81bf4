import { loadWatchConfig, type WatchConfig } from "./config.ts";
import { runDoctor } from "./doctor.ts";
import { ULID_RE } from "./events.ts";
import { flushBuffer } from "./flush.ts";
import { replaySession } from "./replay.ts";

/**
 * `aider-watch flush | doctor | replay <session_id>`. Exit codes: 0 done;
 * 1 something is wrong (named on stderr or in doctor's lines); 2 usage.
 */
const USAGE = `usage: aider-watch flush | doctor | replay <session_id>
  flush    send the buffered events (those the server did not take during a session)
  doctor   check the server, the token, the buffer, rejected events and the disk
  replay   re-send one session from AIDERW_HOME/sessions/…/<session_id>.jsonl
settings: COMMANDPOST_URL, COMMANDPOST_INGEST_TOKEN, AIDERW_HOME (see src/aiderw/config.ts)`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const config = loadWatchConfig();
  switch (cmd) {
    case "flush":
      return flush(config);
    case "doctor":
      return doctor(config);
    case "replay":
      return replay(config, rest[0]);
    case "-h":
    case "--help":
    case "help":
      console.log(USAGE);
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

function needTarget(config: WatchConfig): NonNullable<WatchConfig["target"]> | null {
  if (config.target) return config.target;
  console.error("aider-watch: set COMMANDPOST_URL and COMMANDPOST_INGEST_TOKEN");
  return null;
}

async function flush(config: WatchConfig): Promise<number> {
  const target = needTarget(config);
  if (!target) return 1;
  const r = await flushBuffer(config.home, target);
  console.log(
    `flush: ${r.sent} sent, ${r.rejected} rejected, ${r.left} left in the buffer (${r.files} file(s) read)`,
  );
  if (r.rejected)
    console.error(
      `aider-watch: ${r.rejected} event(s) refused as bad: see ${config.home}/rejected.jsonl`,
    );
  if (r.failure) {
    const hint =
      r.failureStatus === 401 || r.failureStatus === 403
        ? " (wrong COMMANDPOST_INGEST_TOKEN?)"
        : "";
    console.error(`aider-watch: stopped: ${r.failure}${hint}`);
    return 1;
  }
  return r.rejected ? 1 : 0;
}

async function doctor(config: WatchConfig): Promise<number> {
  const checks = await runDoctor(config);
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks)
    console.log(`${c.status.toUpperCase().padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}`);
  const fails = checks.filter((c) => c.status === "fail").length;
  console.log(fails ? `doctor: ${fails} problem(s)` : "doctor: all good");
  return fails ? 1 : 0;
}

async function replay(config: WatchConfig, sessionId: string | undefined): Promise<number> {
  if (!sessionId || !ULID_RE.test(sessionId)) {
    console.error("usage: aider-watch replay <session_id>  (a 26-character ULID)");
    return 2;
  }
  const target = needTarget(config);
  if (!target) return 1;
  const r = await replaySession(config.home, sessionId, target);
  if (!r.file || !r.delivery) {
    console.error(`aider-watch: no session file for ${sessionId} under ${config.home}/sessions`);
    return 1;
  }
  const d = r.delivery;
  console.log(
    `replay ${sessionId}: ${d.accepted.length} of ${r.events} event(s) accepted, ${d.rejected.length} rejected, ${d.pending.length} not sent (${r.file})`,
  );
  if (d.failure) console.error(`aider-watch: stopped: ${d.failure}`);
  for (const x of d.rejected.slice(0, 5))
    console.error(`aider-watch: rejected ${x.event.id}: ${x.error}`);
  return d.failure || d.rejected.length || r.unreadable ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`aider-watch: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

import { StringDecoder } from "node:string_decoder";
import type { WatchConfig } from "./config.ts";
import type { Dispatcher } from "./dispatcher.ts";
import { makeEvent, type Payloads } from "./events.ts";
import type { ErrorFinding } from "./output-parser.ts";
import { OutputParser } from "./output-parser.ts";
import { redactArgs } from "./redact.ts";

/** What the live watch needs to know about the run. */
export interface LiveWatchOptions {
  sessionId: string;
  config: WatchConfig;
  dispatcher: Dispatcher;
  args: readonly string[];
  cwd: string;
  startedAt: Date;
  /** aider's pid once known (under a pty it is the child of `script`). */
  aiderPid: () => number | null;
}

/** Most characters of one `raw` chunk and of all raw output of a session. */
const RAW_CHUNK = 4000;
const RAW_TOTAL = 256 * 1024;
const RAW_FLUSH_MS = 10_000;
/** session_start goes out at the model line, or after this long without one. */
const BANNER_WAIT_MS = 5000;

/**
 * The live half of the watch (docs/aider-watch.md): reads aider's output as it passes through
 * and emits `session_start` (at the banner's model line), `error` (as recognised),
 * `silent_timeout` (once per silence of `AIDERW_SILENT_S`, not while aider waits at its
 * prompt) and `raw` chunks. It only observes: the bytes themselves are passed on by the
 * caller, before this sees them.
 */
export class LiveWatch {
  readonly parser: OutputParser;
  private readonly decoders = {
    stdout: new StringDecoder("utf8"),
    stderr: new StringDecoder("utf8"),
  };
  private lastOutputAt = Date.now();
  private silenceReported = false;
  private silentTimer: NodeJS.Timeout | null = null;
  private bannerTimer: NodeJS.Timeout | null = null;
  private rawTimer: NodeJS.Timeout | null = null;
  private raw: string[] = [];
  private rawLen = 0;
  private rawTotal = 0;
  private started = false;
  errorCount = 0;

  constructor(private readonly o: LiveWatchOptions) {
    this.parser = new OutputParser({
      onBanner: (b) => this.sessionStart(b.version, b.model),
      onError: (e) => this.error(e),
      onLines: (lines) => this.rawLines(lines),
    });
    this.bannerTimer = setTimeout(() => this.parser.finishBanner(), BANNER_WAIT_MS);
    this.bannerTimer.unref();
    this.armSilence(this.o.config.silentMs);
    if (this.o.config.raw) {
      this.rawTimer = setInterval(() => this.flushRaw(), RAW_FLUSH_MS);
      this.rawTimer.unref();
    }
  }

  /** A chunk of aider's output, after it was passed on to the user. */
  output(stream: "stdout" | "stderr", chunk: Buffer): void {
    this.lastOutputAt = Date.now();
    this.silenceReported = false;
    this.parser.feed(stream, this.decoders[stream].write(chunk));
  }

  /** aider exited: the rest of the output is parsed and the timers stop. */
  end(): void {
    for (const t of [this.silentTimer, this.bannerTimer]) if (t) clearTimeout(t);
    if (this.rawTimer) clearInterval(this.rawTimer);
    this.parser.feed("stdout", this.decoders.stdout.end());
    this.parser.feed("stderr", this.decoders.stderr.end());
    this.parser.end();
    this.flushRaw();
  }

  /** Emits an event of this session. */
  emit<K extends keyof Payloads>(type: K, payload: Payloads[K], at?: Date): void {
    this.o.dispatcher.emit(makeEvent(this.o.sessionId, type, payload, at));
  }

  private sessionStart(version: string | null, model: string | null): void {
    if (this.started) return;
    this.started = true;
    if (this.bannerTimer) clearTimeout(this.bannerTimer);
    this.emit(
      "session_start",
      {
        cwd: this.o.cwd,
        model: model ?? modelFromArgs(this.o.args),
        aider_args: redactArgs(this.o.args),
        aider_pid: this.o.aiderPid(),
        cli_version: version,
        host: this.o.config.host,
      },
      this.o.startedAt,
    );
  }

  private error(e: ErrorFinding): void {
    this.errorCount++;
    this.emit("error", { kind: e.kind, message: e.message, context_50chars: e.context });
  }

  /** One timer, re-armed for the rest of the silence when output came meanwhile. */
  private armSilence(ms: number): void {
    this.silentTimer = setTimeout(() => {
      const idle = Date.now() - this.lastOutputAt;
      if (idle < this.o.config.silentMs) return this.armSilence(this.o.config.silentMs - idle);
      if (!this.silenceReported && !this.parser.waitingForInput()) {
        this.silenceReported = true;
        this.emit("silent_timeout", {
          idle_sec: Math.round(idle / 100) / 10,
          last_output_tail: this.parser.lastOutput(200),
        });
      }
      this.armSilence(this.o.config.silentMs);
    }, ms);
    this.silentTimer.unref();
  }

  private rawLines(lines: string[]): void {
    if (!this.o.config.raw || this.rawTotal >= RAW_TOTAL) return;
    for (const l of lines) {
      const line = l.trimEnd();
      if (!line && this.raw[this.raw.length - 1] === "") continue; // blank runs → one
      this.raw.push(line);
      this.rawLen += line.length + 1;
      if (this.rawLen >= RAW_CHUNK) this.flushRaw();
    }
  }

  private flushRaw(): void {
    if (!this.raw.length) return;
    let chunk = this.raw.join("\n");
    this.raw = [];
    this.rawLen = 0;
    if (!chunk.trim()) return;
    const room = RAW_TOTAL - this.rawTotal;
    if (chunk.length > room)
      chunk = `${chunk.slice(0, room)}\n[raw output truncated: ${RAW_TOTAL} characters kept]`;
    this.rawTotal += chunk.length;
    this.emit("raw", { chunk: chunk.slice(0, RAW_CHUNK * 2) });
  }
}

/** `--model X` / `--model=X` from aider's arguments, when the banner named none. */
export function modelFromArgs(args: readonly string[]): string | null {
  for (let i = args.length - 1; i >= 0; i--) {
    const a = args[i] ?? "";
    if (a === "--model") return args[i + 1] ?? null;
    if (a.startsWith("--model=")) return a.slice(8) || null;
  }
  return null;
}

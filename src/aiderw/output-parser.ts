import {
  addTokens,
  classifyErrorLine,
  type ErrorMatch,
  isNewError,
  parseModel,
  parseTokens,
  parseVersion,
  type TokenTotals,
} from "./aider-lines.ts";
import type { ErrorKind } from "./events.ts";
import { LineSplitter } from "./terminal-text.ts";

/** An error recognised in the live output. */
export interface ErrorFinding {
  kind: ErrorKind;
  /** The error line, at most 500 characters (not yet redacted). */
  message: string;
  /** The 50 characters of output before it (not yet redacted). */
  context: string;
}

/** What the parser tells its owner as it reads. */
export interface OutputParserHooks {
  /** The banner named the model (or the version and model are as known as they get). */
  onBanner?(info: { version: string | null; model: string | null }): void;
  onError?(e: ErrorFinding): void;
  /** Complete plain lines, for `raw` events. */
  onLines?(lines: string[]): void;
}

const TAIL_CHARS = 2000;

/**
 * Reads aider's output as it streams: banner → version and model;
 * errors by kind; `Tokens:` lines summed. Stateful and pure (no timers, no I/O): feed it
 * decoded text per stream. An error printed as a question that waits for an answer (the
 * unfinished last line) is reported at once, not when the user answers.
 */
export class OutputParser {
  version: string | null = null;
  model: string | null = null;
  readonly tokens: TokenTotals = { sent: 0, received: 0, costSession: null, lines: 0 };
  readonly errors: ErrorFinding[] = [];
  private readonly splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  private lineNo = 0;
  private readonly lastErrorLine = new Map<ErrorKind, number>();
  private recent = "";
  private tailReported: { stdout: string | null; stderr: string | null } = {
    stdout: null,
    stderr: null,
  };
  private bannerDone = false;

  constructor(private readonly hooks: OutputParserHooks = {}) {}

  /** Feeds decoded output of one stream. */
  feed(stream: "stdout" | "stderr", text: string): void {
    const lines = this.splitters[stream].push(text);
    for (const line of lines) this.line(stream, line);
    if (lines.length) this.hooks.onLines?.(lines);
    const tail = this.splitters[stream].tail();
    if (tail && tail !== this.tailReported[stream]) {
      const m = classifyErrorLine(tail);
      if (m?.kind === "build_fail") {
        this.tailReported[stream] = tail;
        this.report(m, tail);
      }
    }
  }

  /** Ends both streams: their unfinished lines are parsed as lines. */
  end(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      const lines = this.splitters[stream].end();
      for (const line of lines) this.line(stream, line);
      if (lines.length) this.hooks.onLines?.(lines);
    }
    this.finishBanner();
  }

  /** The last `n` characters of output (plain), for `silent_timeout`. */
  lastOutput(n = 200): string {
    const tails = [this.splitters.stdout.tail(), this.splitters.stderr.tail()].filter(Boolean);
    const all = `${this.recent}${tails.join("\n")}`;
    return all.slice(-n);
  }

  /**
   * True when the output ends with a prompt waiting for the user (aider's `> ` /
   * `architect> `, or a `(Y)es/(N)o … [Yes]:` question): a silence then is the user
   * thinking, not aider stuck.
   */
  waitingForInput(): boolean {
    const tail = this.splitters.stdout.tail().trimEnd() || this.splitters.stderr.tail().trimEnd();
    return /^[\w-]*>$/.test(tail) || /\]:$/.test(tail) || /\(Y\)es\/\(N\)o/.test(tail);
  }

  /** Emits `onBanner` once, with what is known (at the model line, a timeout or the end). */
  finishBanner(): void {
    if (this.bannerDone) return;
    this.bannerDone = true;
    this.hooks.onBanner?.({ version: this.version, model: this.model });
  }

  private line(stream: "stdout" | "stderr", line: string): void {
    this.lineNo++;
    const reported = this.tailReported[stream];
    this.tailReported[stream] = null;
    this.remember(line);
    // The question reported while it waited for an answer, now answered: already counted.
    if (reported !== null && classifyErrorLine(line)?.kind === "build_fail") return;
    if (!this.bannerDone) {
      this.version ??= parseVersion(line);
      const model = this.model ? null : parseModel(line);
      if (model) {
        this.model = model;
        this.finishBanner();
      }
    }
    const t = parseTokens(line);
    if (t) {
      addTokens(this.tokens, t);
      return;
    }
    const m = classifyErrorLine(line);
    if (m) this.report(m, line);
  }

  private report(m: ErrorMatch, line: string): void {
    if (!isNewError(m, this.lineNo, this.lastErrorLine)) return;
    const before = this.recent.endsWith(`${line}\n`)
      ? this.recent.slice(0, -(line.length + 1))
      : this.recent;
    const e: ErrorFinding = {
      kind: m.kind,
      message: line.trim().slice(0, 500),
      context: before.slice(-50),
    };
    this.errors.push(e);
    this.hooks.onError?.(e);
  }

  private remember(line: string): void {
    this.recent = `${this.recent}${line}\n`.slice(-TAIL_CHARS);
  }
}

import { appendRejected, type SessionBuffer } from "./buffer.ts";
import type { WatchEvent } from "./events.ts";
import { redactDeep } from "./redact.ts";
import { deliver, type Target } from "./sender.ts";
import type { InternalLog, SessionLog } from "./session-log.ts";

/** What the dispatcher needs. */
export interface DispatcherDeps {
  target: Target | null;
  home: string;
  sessionLog: SessionLog;
  buffer: SessionBuffer;
  log: InternalLog;
  sendTimeoutMs: number;
  /** After a failed send, events go straight to the buffer for this long, then one try. */
  retryAfterMs?: number;
}

/**
 * Where each event goes during a session (docs/aider-watch.md, Delivery): redacted first,
 * then appended to the session's JSONL file, then sent in the background, one request at a
 * time carrying everything queued. When the server does not answer or refuses, that batch
 * and what follows go to the buffer at once, without waiting on the server again for
 * `retryAfterMs`. `emit` never blocks and never throws.
 */
export class Dispatcher {
  private queue: WatchEvent[] = [];
  private inflight: { events: WatchEvent[]; done: Promise<void> } | null = null;
  private openUntil = 0;
  private closed = false;
  /** Counts for the log line at the end. */
  readonly stats = { sent: 0, buffered: 0, rejected: 0 };

  constructor(private readonly deps: DispatcherDeps) {}

  /** Records and sends one event. */
  emit(event: WatchEvent): void {
    try {
      const e = redactDeep(event);
      this.safe("session log", () => this.deps.sessionLog.append(e));
      if (this.closed) return;
      if (!this.deps.target || Date.now() < this.openUntil) {
        this.toBuffer([e]);
        return;
      }
      this.queue.push(e);
      this.pump();
    } catch (err) {
      this.deps.log.error("emit", err);
    }
  }

  /**
   * The session's end: waits at most `waitMs` for the queue to be sent, then buffers
   * whatever is still queued or in flight (an in-flight request the server answers later
   * is harmless: it is idempotent by event id), and seals the buffer file.
   */
  async close(waitMs: number): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + waitMs;
    if (this.deps.target && Date.now() >= this.openUntil) {
      this.pump();
      while (this.inflight && Date.now() < deadline) {
        await Promise.race([this.inflight.done, sleep(deadline - Date.now())]);
        if (!this.inflight && this.queue.length && Date.now() >= this.openUntil) this.pump();
      }
    }
    const left = [...(this.inflight?.events ?? []), ...this.queue];
    this.inflight = null;
    this.queue = [];
    this.toBuffer(left);
    this.safe("seal buffer", () => this.deps.buffer.seal());
    this.deps.log.info(
      `session dispatch: ${this.stats.sent} sent, ${this.stats.buffered} buffered, ${this.stats.rejected} rejected`,
    );
  }

  private pump(): void {
    if (this.inflight || !this.queue.length || !this.deps.target) return;
    const events = this.queue;
    this.queue = [];
    const target = this.deps.target;
    const slot = { events, done: Promise.resolve() };
    slot.done = deliver(target, events, this.deps.sendTimeoutMs)
      .then((r) => {
        if (this.inflight !== slot) return; // the end already buffered them
        this.stats.sent += r.accepted.length;
        if (r.rejected.length) {
          this.stats.rejected += r.rejected.length;
          this.safe("rejected", () => appendRejected(this.deps.home, r.rejected));
          this.deps.log.error(
            `server rejected ${r.rejected.length} event(s): ${r.rejected[0]?.error}`,
          );
        }
        if (r.failure) {
          this.openUntil = Date.now() + (this.deps.retryAfterMs ?? 30_000);
          this.deps.log.info(`server unavailable (${r.failure}); buffering`);
          const rest = [...r.pending, ...this.queue];
          this.queue = [];
          this.toBuffer(rest);
        }
      })
      .catch((err) => {
        this.deps.log.error("send", err);
        if (this.inflight === slot) this.toBuffer(events);
      })
      .finally(() => {
        if (this.inflight === slot) this.inflight = null;
        if (!this.closed) this.pump();
      });
    this.inflight = slot;
  }

  private toBuffer(events: WatchEvent[]): void {
    if (!events.length) return;
    this.safe("buffer", () => {
      this.deps.buffer.append(events);
      this.stats.buffered += events.length;
    });
  }

  private safe(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.log.error(what, err);
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)).unref?.());

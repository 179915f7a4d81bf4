/**
 * Send pacing for Telegram (DESIGN.md, Outbox): at most one message per chat per
 * `perChatMs` (1000 ms) and `globalPerSecond` (25) overall. Pure bookkeeping over an
 * injected time in ms; the worker reserves a slot before each call to Telegram.
 */
export interface Pacer {
  /** ms to wait before `chatId` may send at `nowMs` (0 = now). */
  waitFor(chatId: number, nowMs: number): number;
  /** Records a send to `chatId` at `nowMs`. */
  record(chatId: number, nowMs: number): void;
  /**
   * Takes the next free slot for `chatId` (per chat and global) and returns the ms to wait
   * for it. Concurrent callers get distinct global slots, so lanes can run in parallel.
   */
  reserve(chatId: number, nowMs: number): number;
  /** Chats whose next slot is still in the future at `nowMs`. */
  busyChats(nowMs: number): number[];
  /** ms until the first busy chat becomes free, or Infinity when none is busy. */
  nextFreeInMs(nowMs: number): number;
}

/** Pacing limits; the defaults are Telegram's documented ones. */
export interface PacingOptions {
  perChatMs?: number;
  globalPerSecond?: number;
}

/** Builds a {@link Pacer}. */
export function createPacer(opts: PacingOptions = {}): Pacer {
  const perChatMs = opts.perChatMs ?? 1000;
  const globalGapMs = 1000 / (opts.globalPerSecond ?? 25);
  const lastByChat = new Map<number, number>();
  let lastGlobal = Number.NEGATIVE_INFINITY;
  const record = (chatId: number, atMs: number) => {
    if (lastByChat.size > 10_000) lastByChat.clear();
    lastByChat.set(chatId, atMs);
    lastGlobal = Math.max(lastGlobal, atMs);
  };
  const waitFor = (chatId: number, nowMs: number) => {
    const chatReady = (lastByChat.get(chatId) ?? Number.NEGATIVE_INFINITY) + perChatMs;
    const globalReady = lastGlobal + globalGapMs;
    return Math.max(0, chatReady - nowMs, globalReady - nowMs);
  };
  return {
    waitFor,
    record,
    reserve(chatId, nowMs) {
      const wait = waitFor(chatId, nowMs);
      record(chatId, nowMs + wait);
      return wait;
    },
    busyChats(nowMs) {
      const out: number[] = [];
      for (const [chat, last] of lastByChat) if (last + perChatMs > nowMs) out.push(chat);
      return out;
    },
    nextFreeInMs(nowMs) {
      let min = Number.POSITIVE_INFINITY;
      for (const last of lastByChat.values()) {
        const free = last + perChatMs - nowMs;
        if (free > 0 && free < min) min = free;
      }
      return min;
    },
  };
}

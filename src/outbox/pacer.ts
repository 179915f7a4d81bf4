/**
 * Send pacing for Telegram (DESIGN.md, Outbox): at most one message per chat per
 * `perChatMs` (1000 ms) and `globalPerSecond` (25) overall. Pure bookkeeping over an
 * injected time; the worker asks when a chat may send next.
 */
export interface Pacer {
  /** ms to wait before `chatId` may send at `nowMs` (0 = now). */
  waitFor(chatId: number, nowMs: number): number;
  /** Records a send to `chatId` at `nowMs`. */
  record(chatId: number, nowMs: number): void;
}

/** Builds a {@link Pacer}. */
export function createPacer(opts: { perChatMs?: number; globalPerSecond?: number } = {}): Pacer {
  const perChatMs = opts.perChatMs ?? 1000;
  const globalGapMs = 1000 / (opts.globalPerSecond ?? 25);
  const lastByChat = new Map<number, number>();
  let lastGlobal = Number.NEGATIVE_INFINITY;
  return {
    waitFor(chatId, nowMs) {
      const chatReady = (lastByChat.get(chatId) ?? Number.NEGATIVE_INFINITY) + perChatMs;
      const globalReady = lastGlobal + globalGapMs;
      return Math.max(0, chatReady - nowMs, globalReady - nowMs);
    },
    record(chatId, nowMs) {
      lastByChat.set(chatId, nowMs);
      lastGlobal = nowMs;
      if (lastByChat.size > 10_000) lastByChat.clear();
    },
  };
}

/**
 * Send pacing for Telegram's documented limits (https://core.telegram.org/bots/faq, "My bot
 * is hitting limits"): at most one message per chat per `perChatMs` (1000 ms), at most
 * `groupPerMinute` (20) messages in any 60 s to one group (a negative chat id), and
 * `globalPerSecond` (25, under Telegram's 30) overall. Pure bookkeeping over an injected time
 * in ms; the outbox worker and the bot's own replies reserve a slot before each send.
 */
export interface Pacer {
  /** ms to wait before `chatId` may send at `nowMs` (0 = now). */
  waitFor(chatId: number, nowMs: number): number;
  /** Records a send to `chatId` at `nowMs`. */
  record(chatId: number, nowMs: number): void;
  /**
   * Takes the next free slot for `chatId` (per chat, per group minute and global) and returns
   * the ms to wait for it. Concurrent callers get distinct slots, so lanes can run in parallel.
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
  /** Messages to one group chat in any 60 s (default 20). */
  groupPerMinute?: number;
}

const MINUTE_MS = 60_000;

/** True for a group or supergroup chat id (negative, as Telegram numbers them). */
export function isGroupChat(chatId: number): boolean {
  return chatId < 0;
}

/** Builds a {@link Pacer}. */
export function createPacer(opts: PacingOptions = {}): Pacer {
  const perChatMs = opts.perChatMs ?? 1000;
  const globalGapMs = 1000 / (opts.globalPerSecond ?? 25);
  const groupPerMinute = opts.groupPerMinute ?? 20;
  /** Send times (ms) of each chat: the last one, or the last `groupPerMinute` of a group. */
  const sendsByChat = new Map<number, number[]>();
  let lastGlobal = Number.NEGATIVE_INFINITY;

  /** When `chatId` may send next, by its own limits (ms). */
  const chatReadyAt = (chatId: number): number => {
    const times = sendsByChat.get(chatId);
    if (!times || times.length === 0) return Number.NEGATIVE_INFINITY;
    const gap = (times.at(-1) as number) + perChatMs;
    if (!isGroupChat(chatId) || times.length < groupPerMinute) return gap;
    // The window holds `groupPerMinute` sends: the next waits until the oldest is a minute old.
    return Math.max(gap, (times[times.length - groupPerMinute] as number) + MINUTE_MS);
  };
  const record = (chatId: number, atMs: number) => {
    if (sendsByChat.size > 10_000) sendsByChat.clear();
    const keep = isGroupChat(chatId) ? groupPerMinute : 1;
    const times = [...(sendsByChat.get(chatId) ?? []), atMs].sort((a, b) => a - b).slice(-keep);
    sendsByChat.set(chatId, times);
    lastGlobal = Math.max(lastGlobal, atMs);
  };
  const waitFor = (chatId: number, nowMs: number) =>
    Math.max(0, chatReadyAt(chatId) - nowMs, lastGlobal + globalGapMs - nowMs);
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
      for (const chat of sendsByChat.keys()) if (chatReadyAt(chat) > nowMs) out.push(chat);
      return out;
    },
    nextFreeInMs(nowMs) {
      let min = Number.POSITIVE_INFINITY;
      for (const chat of sendsByChat.keys()) {
        const free = chatReadyAt(chat) - nowMs;
        if (free > 0 && free < min) min = free;
      }
      return min;
    },
  };
}

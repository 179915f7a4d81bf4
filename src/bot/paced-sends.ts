import { setTimeout as sleep } from "node:timers/promises";
import type { Pacer } from "../outbox/pacer.ts";

/** Bot API methods that post a new message to a chat (the ones Telegram's rate limits count). */
const SEND_METHODS = new Set([
  "sendMessage",
  "sendPhoto",
  "sendDocument",
  "sendMediaGroup",
  "copyMessage",
  "forwardMessage",
]);

/** The fetch grammY's client calls: url and init in, a Response out. */
// biome-ignore lint/suspicious/noExplicitAny: grammY types its fetch as node-fetch's
type Fetch = (url: any, init?: any) => Promise<any>;

/**
 * Node's own fetch, given a native AbortSignal: grammY passes an `abort-controller` polyfill
 * signal, which Node's fetch refuses, so its abort is forwarded to a native one.
 */
const nativeFetch: Fetch = (url, init) => {
  const signal = init?.signal as
    | { aborted: boolean; addEventListener(type: "abort", fn: () => void): void }
    | undefined;
  if (!signal) return fetch(url, init);
  const native = new AbortController();
  if (signal.aborted) native.abort();
  else signal.addEventListener("abort", () => native.abort());
  return fetch(url, { ...init, signal: native.signal });
};

/**
 * The `fetch` of the bot's Bot API client, taking a slot from `pacer` before each new message
 * to a chat and waiting for it, so the bot's direct replies and the outbox share Telegram's
 * per-chat limits (1/s per chat, 20/min per group; src/outbox/pacer.ts) instead of drawing
 * 429s. It sits under grammY's API transformers on purpose: the conversations plugin replays a
 * flow's calls through the transformers (answering them from its log), and only the calls
 * that reach the network may take a slot. Edits, callback answers and multipart uploads are
 * not paced. `base` defaults to Node's fetch.
 */
export function pacedFetch(pacer: Pacer, base: Fetch = nativeFetch): Fetch {
  return async (url, init) => {
    const method = String(url).split("/").pop() ?? "";
    if (SEND_METHODS.has(method) && typeof init?.body === "string") {
      const chatId = chatOf(init.body);
      if (chatId !== undefined) {
        const wait = pacer.reserve(chatId, Date.now());
        if (wait > 0) await sleep(wait);
      }
    }
    return base(url, init);
  };
}

function chatOf(body: string): number | undefined {
  try {
    const id = (JSON.parse(body) as { chat_id?: unknown }).chat_id;
    return typeof id === "number" ? id : undefined;
  } catch {
    return undefined;
  }
}

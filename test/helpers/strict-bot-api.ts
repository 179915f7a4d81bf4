import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { hasLoneSurrogate, parseTelegramHtml, TelegramHtmlError } from "./telegram-html.ts";

/** One call the strict layer refused, answered as Telegram answers it. */
export interface Refusal {
  method: string;
  chatId?: number;
  errorCode: number;
  description: string;
  /** What was refused: the text's start, or the callback query id. */
  detail: string;
}

/** The strict Bot API layer in front of the telegram-test-api emulator. */
export interface StrictBotApi {
  /** The `TELEGRAM_API_ROOT` to give the app (and any relay in front of the emulator). */
  apiRoot: string;
  /** Every refused call, in order. */
  refusals: Refusal[];
  /** Callback query ids answered (once each: a second answer is a refusal). */
  answered: ReadonlySet<string>;
  /** Edits refused as "message is not modified" (Telegram's 400 the product takes as success). */
  notModified: number;
  /** Calls passed on to the emulator. */
  forwarded: number;
  /** Calls the layer could not pass on (answered 502), with the reason. */
  failures: string[];
  close(): Promise<void>;
}

/** Telegram's limits the layer enforces (https://core.telegram.org/bots/api, /bots/faq). */
export const LIMITS = {
  /** Message text after entity parsing, in UTF-16 code units. */
  textMax: 4096,
  /** `callback_data` of an inline button, in bytes. */
  callbackDataMaxBytes: 64,
  /** `answerCallbackQuery` text, in characters. */
  callbackAnswerMax: 200,
  /**
   * A private chat: one message per second sustained, with short bursts of this many
   * (Telegram's FAQ: "avoid sending more than one message per second. We may allow short
   * bursts that go over this limit") — a token bucket refilled at 1/s.
   */
  privateBurst: 5,
  /** A group (negative chat id): 20 messages per minute. */
  groupPerMinute: 20,
} as const;

/** Clock tolerance for the rate checks: the app paces at send time, the layer sees arrival. */
const RATE_SLACK_MS = 150;

const SEND_METHODS = new Set([
  "sendMessage",
  "sendPhoto",
  "sendDocument",
  "copyMessage",
  "forwardMessage",
]);

class Refused extends Error {
  constructor(
    readonly errorCode: number,
    description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

interface Sent {
  text: string;
  markup: string;
}

/**
 * Starts an HTTP layer that refuses what the real Bot API refuses before passing a call to
 * the emulator at `target` (which accepts anything): HTML that Telegram's parser rejects
 * (see {@link parseTelegramHtml}), empty or over-long text, callback data over 64 bytes,
 * strings that are not valid UTF-8 (a lone surrogate), a second answer to one callback
 * query, edits of messages the bot never sent, edits that change nothing ("message is not
 * modified"), and sends beyond one per second to a private chat (after a short burst) or
 * twenty in any minute to a group. A refusal answers `{ ok: false, error_code, description }` with Telegram's wording
 * (429 with `retry_after` for rates) and is recorded. An `editMessageText` without
 * `reply_markup` removes the inline keyboard, as on Telegram. Listens on `port` (default: any).
 */
export async function startStrictBotApi(opts: {
  target: string;
  port?: number;
}): Promise<StrictBotApi> {
  const refusals: Refusal[] = [];
  const answered = new Set<string>();
  const messages = new Map<string, Sent>();
  const sends = new Map<number, number[]>();
  const buckets = new Map<number, { tokens: number; at: number }>();
  let notModified = 0;
  const failures: string[] = [];
  let forwarded = 0;

  function checkStrings(v: unknown): void {
    if (typeof v === "string") {
      if (hasLoneSurrogate(v))
        throw new Refused(400, "Bad Request: strings must be encoded in UTF-8");
    } else if (Array.isArray(v)) v.forEach(checkStrings);
    else if (v && typeof v === "object") for (const x of Object.values(v)) checkStrings(x);
  }

  function checkText(body: Record<string, unknown>, field: "text" | "caption"): string {
    const raw = body[field];
    if (raw === undefined && field === "caption") return "";
    const text = String(raw ?? "");
    let plain = text;
    if (String(body.parse_mode ?? "").toLowerCase() === "html") {
      try {
        plain = parseTelegramHtml(text);
      } catch (err) {
        if (err instanceof TelegramHtmlError) throw new Refused(400, err.message);
        throw err;
      }
    }
    if (field === "text" && plain.trim().length === 0)
      throw new Refused(400, "Bad Request: message text is empty");
    if (plain.length > LIMITS.textMax) throw new Refused(400, "Bad Request: message is too long");
    return plain;
  }

  function checkMarkup(body: Record<string, unknown>): string {
    const markup = body.reply_markup as
      | { inline_keyboard?: { callback_data?: string; text?: string }[][] }
      | undefined;
    for (const row of markup?.inline_keyboard ?? []) {
      for (const b of row) {
        if (!b.text) throw new Refused(400, "Bad Request: text buttons are unallowed");
        if (b.callback_data !== undefined) {
          const bytes = Buffer.byteLength(b.callback_data);
          if (bytes < 1 || bytes > LIMITS.callbackDataMaxBytes)
            throw new Refused(400, "Bad Request: BUTTON_DATA_INVALID");
        }
      }
    }
    return JSON.stringify(markup?.inline_keyboard ?? []);
  }

  function checkRate(chatId: number): void {
    const now = Date.now();
    if (chatId < 0) {
      // A group: at most 20 sends in any 60 s.
      const recent = (sends.get(chatId) ?? []).filter((t) => t > now - 60_000 + RATE_SLACK_MS);
      if (recent.length >= LIMITS.groupPerMinute) {
        const retryAfter = Math.max(1, Math.ceil(((recent[0] as number) + 60_000 - now) / 1000));
        throw new Refused(429, `Too Many Requests: retry after ${retryAfter}`, retryAfter);
      }
      recent.push(now);
      sends.set(chatId, recent);
      return;
    }
    const b = buckets.get(chatId) ?? { tokens: LIMITS.privateBurst, at: now };
    b.tokens = Math.min(LIMITS.privateBurst, b.tokens + (now - b.at + RATE_SLACK_MS) / 1000);
    b.at = now;
    buckets.set(chatId, b);
    if (b.tokens < 1) throw new Refused(429, "Too Many Requests: retry after 1", 1);
    b.tokens -= 1;
  }

  /** Validates a call; returns what to remember once the emulator accepted it. */
  function check(
    method: string,
    body: Record<string, unknown>,
  ): ((result: unknown) => void) | undefined {
    checkStrings(body);
    const chatId = body.chat_id === undefined ? undefined : Number(body.chat_id);
    if (SEND_METHODS.has(method)) {
      const text = method === "sendMessage" ? checkText(body, "text") : checkText(body, "caption");
      const markup = checkMarkup(body);
      checkRate(chatId ?? 0);
      return (result) => {
        const id = (result as { message_id?: number } | undefined)?.message_id;
        if (id !== undefined) messages.set(`${chatId}:${id}`, { text, markup });
      };
    }
    if (method === "editMessageText" || method === "editMessageReplyMarkup") {
      const key = `${chatId}:${body.message_id}`;
      const known = messages.get(key);
      if (!known) throw new Refused(400, "Bad Request: message to edit not found");
      const text = method === "editMessageText" ? checkText(body, "text") : known.text;
      const markup = checkMarkup(body);
      if (text === known.text && markup === known.markup) {
        notModified++;
        throw new Refused(
          400,
          "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
        );
      }
      return () => messages.set(key, { text, markup });
    }
    if (method === "answerCallbackQuery") {
      const id = String(body.callback_query_id ?? "");
      if (answered.has(id))
        throw new Refused(
          400,
          "Bad Request: query is too old and response timeout expired or query ID is invalid",
        );
      if (String(body.text ?? "").length > LIMITS.callbackAnswerMax)
        throw new Refused(400, "Bad Request: MESSAGE_TOO_LONG");
      return () => answered.add(id);
    }
    if (method === "setMyCommands") {
      for (const c of (body.commands ?? []) as { command?: string; description?: string }[]) {
        if (!/^[a-z0-9_]{1,32}$/.test(c.command ?? ""))
          throw new Refused(400, "Bad Request: BOT_COMMAND_INVALID");
        const d = c.description ?? "";
        if (d.length < 1 || d.length > 256)
          throw new Refused(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID");
      }
      return undefined;
    }
    if (method === "deleteMessage") {
      return () => messages.delete(`${chatId}:${body.message_id}`);
    }
    return undefined;
  }

  async function forward(req: IncomingMessage, raw: Buffer | string): Promise<Response> {
    forwarded++;
    return fetch(`${opts.target}${req.url}`, {
      method: req.method,
      headers: { "content-type": req.headers["content-type"] ?? "application/json" },
      body: req.method === "GET" || req.method === "HEAD" ? undefined : raw,
    });
  }

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const method = (req.url ?? "").split("?")[0]?.split("/").pop() ?? "";
    const json = /json/.test(req.headers["content-type"] ?? "");
    try {
      if (!json || raw.length === 0) {
        const upstream = await forward(req, raw);
        return reply(res, upstream.status, await upstream.text());
      }
      const body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
      let remember: ((result: unknown) => void) | undefined;
      try {
        remember = check(method, body);
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
        const chatId = body.chat_id === undefined ? undefined : Number(body.chat_id);
        if (!/message is not modified/.test(err.message))
          refusals.push({
            method,
            chatId,
            errorCode: err.errorCode,
            description: err.message,
            detail: String(body.text ?? body.callback_query_id ?? "").slice(0, 60),
          });
        return reply(
          res,
          err.errorCode,
          JSON.stringify({
            ok: false,
            error_code: err.errorCode,
            description: err.message,
            ...(err.retryAfter !== undefined && { parameters: { retry_after: err.retryAfter } }),
          }),
        );
      }
      // The emulator does not know setMyCommands; Telegram answers true.
      if (method === "setMyCommands") {
        forwarded++;
        return reply(res, 200, JSON.stringify({ ok: true, result: true }));
      }
      // Telegram drops the inline keyboard of a message edited without one.
      if (method === "editMessageText" && body.reply_markup === undefined)
        body.reply_markup = { inline_keyboard: [] };
      const upstream = await forward(req, JSON.stringify(body));
      const text = await upstream.text();
      if (upstream.ok) remember?.((JSON.parse(text) as { result?: unknown }).result);
      reply(res, upstream.status, text);
    } catch (err) {
      failures.push(`${method}: ${String(err)}`);
      reply(res, 502, JSON.stringify({ ok: false, error_code: 502, description: String(err) }));
    }
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    refusals,
    answered,
    get notModified() {
      return notModified;
    },
    failures,
    get forwarded() {
      return forwarded;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function reply(res: ServerResponse, status: number, body: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(body);
}

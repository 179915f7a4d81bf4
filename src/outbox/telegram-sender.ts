import { Api, GrammyError, HttpError } from "grammy";
import type { InlineKeyboard } from "../../db/schema/index.ts";
import { redactText } from "../redact.ts";

/** Why a send failed, in the terms the worker acts on (outbox/delivery-handler.ts). */
export type SendFailure =
  | { kind: "rate_limited"; retryAfterS: number; description: string }
  | { kind: "migrated"; toChatId: number; description: string }
  | { kind: "permanent"; description: string }
  | { kind: "not_modified"; description: string }
  | { kind: "transient"; description: string }
  | { kind: "unreachable"; description: string };

/** What the outbox needs from Telegram: send and edit, HTML parse mode. */
export interface TelegramSender {
  /** Sends a message; resolves to Telegram's message id. */
  send(msg: {
    chatId: number;
    /** Forum topic (`message_thread_id`); absent or null for the chat itself. */
    threadId?: number | null;
    text: string;
    keyboard: InlineKeyboard | null;
    disableNotification: boolean;
  }): Promise<number>;
  /** Edits text and keyboard of a sent message. */
  edit(msg: {
    chatId: number;
    messageId: number;
    text: string;
    keyboard: InlineKeyboard | null;
  }): Promise<void>;
}

/**
 * The Bot API call's timeout for an outbox lease of `leaseMs`: a third of it, at most 10 s
 * (grammY's own default is 500 s). A call must end well inside the lease, or the row could
 * be claimed by another worker while this one still waits for Telegram's answer.
 */
export function sendTimeoutMs(leaseMs: number): number {
  return Math.min(10_000, Math.floor(leaseMs / 3));
}

/**
 * A {@link TelegramSender} over grammY's `Api` (its own fetch: undici's rejects grammY's
 * AbortSignal). Each call gives up after `timeoutMs` (see {@link sendTimeoutMs}); a timeout
 * counts as "unreachable".
 */
export function createTelegramSender(opts: {
  token: string;
  apiRoot: string;
  timeoutMs: number;
}): TelegramSender {
  const api = new Api(opts.token, { apiRoot: opts.apiRoot, timeoutSeconds: opts.timeoutMs / 1000 });
  return {
    async send(m) {
      const sent = await api.sendMessage(m.chatId, m.text, {
        parse_mode: "HTML",
        link_preview_options: { is_disabled: true },
        disable_notification: m.disableNotification,
        ...(m.threadId != null && { message_thread_id: m.threadId }),
        ...(m.keyboard && { reply_markup: { inline_keyboard: m.keyboard } }),
      });
      return sent.message_id;
    },
    async edit(m) {
      await api.editMessageText(m.chatId, m.messageId, m.text, {
        parse_mode: "HTML",
        link_preview_options: { is_disabled: true },
        reply_markup: { inline_keyboard: m.keyboard ?? [] },
      });
    },
  };
}

/**
 * Classifies an error thrown by the Bot API client. 429 → rate_limited with `retry_after`;
 * `migrate_to_chat_id` → migrated; "message is not modified" → not_modified (success);
 * blocked / chat not found / other 400 and 403 → permanent; 5xx and unknown errors → transient;
 * no answer at all (network error, Telegram or the Bot API server unreachable) → unreachable.
 * Descriptions are redacted: a network error names the request URL, which holds the token.
 */
export function classifySendError(err: unknown): SendFailure {
  const f = classify(err);
  return { ...f, description: redactText(f.description) };
}

function classify(err: unknown): SendFailure {
  if (err instanceof GrammyError) {
    const description = `${err.error_code}: ${err.description}`;
    if (err.error_code === 429) {
      return { kind: "rate_limited", retryAfterS: err.parameters.retry_after ?? 5, description };
    }
    if (err.parameters.migrate_to_chat_id !== undefined) {
      return { kind: "migrated", toChatId: err.parameters.migrate_to_chat_id, description };
    }
    if (/message is not modified/i.test(err.description))
      return { kind: "not_modified", description };
    if (err.error_code >= 500) return { kind: "transient", description };
    return { kind: "permanent", description };
  }
  if (err instanceof HttpError)
    return { kind: "unreachable", description: `network: ${String(err.error)}` };
  return { kind: "transient", description: err instanceof Error ? err.message : String(err) };
}

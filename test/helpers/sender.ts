import type { InlineKeyboard } from "../../db/schema/index.ts";
import type { TelegramSender } from "../../src/outbox/telegram-sender.ts";

/** A message as the recording sender holds it (edits applied in place). */
export interface SentMessage {
  messageId: number;
  chatId: number;
  text: string;
  keyboard: InlineKeyboard | null;
  disableNotification: boolean;
  edits: number;
}

/** A {@link TelegramSender} that records instead of calling Telegram; can be made to fail. */
export interface RecordingSender extends TelegramSender {
  messages: SentMessage[];
  /** Every call, in order: `send:<chat>` or `edit:<chat>:<messageId>`. */
  calls: string[];
  /** The next calls throw `err` (a function makes a fresh error each time). */
  failNext(times: number, err: () => unknown): void;
}

/** Builds a {@link RecordingSender}. */
export function recordingSender(): RecordingSender {
  const messages: SentMessage[] = [];
  const calls: string[] = [];
  let failures: (() => unknown)[] = [];
  let nextId = 1000;
  const maybeFail = () => {
    const f = failures.shift();
    if (f) throw f();
  };
  return {
    messages,
    calls,
    failNext(times, err) {
      failures = [...failures, ...Array.from({ length: times }, () => err)];
    },
    async send(m) {
      calls.push(`send:${m.chatId}`);
      maybeFail();
      const messageId = nextId++;
      messages.push({
        messageId,
        chatId: m.chatId,
        text: m.text,
        keyboard: m.keyboard,
        disableNotification: m.disableNotification,
        edits: 0,
      });
      return messageId;
    },
    async edit(m) {
      calls.push(`edit:${m.chatId}:${m.messageId}`);
      maybeFail();
      const msg = messages.find((x) => x.messageId === m.messageId && x.chatId === m.chatId);
      if (!msg) throw new Error("message to edit not found");
      msg.text = m.text;
      msg.keyboard = m.keyboard && m.keyboard.length > 0 ? m.keyboard : null;
      msg.edits++;
    },
  };
}

/** Polls `check` every 20 ms until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

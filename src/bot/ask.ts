import type { Conversation } from "@grammyjs/conversations";
import type { Context } from "grammy";
import { InputError } from "../errors.ts";
import { escapeHtml } from "../telegram-format.ts";
import type { BotContext } from "./context.ts";

/** What {@link askText} says and does around one question of a flow. */
export interface AskOptions {
  /** Reply to `/cancel`, e.g. "Cancelled; nothing was muted." */
  cancelled: string;
  /** Reply when another command interrupts the flow (that command is then handled). */
  interrupted: string;
  /** Delete the answer's message at once (it holds a secret); a failed delete is ignored. */
  secret?: boolean;
  /** Each answer must come within this many ms, or the flow ends. */
  timeoutMs?: number;
}

/**
 * Waits for a text answer in a conversation (v2) and parses it. An {@link InputError} from
 * `parse` is explained and the question stands; `/cancel` returns undefined; any other
 * command ends the flow and is handled as usual.
 */
export async function askText<T>(
  conversation: Conversation<BotContext, Context>,
  parse: (text: string) => T,
  opts: AskOptions,
): Promise<T | undefined> {
  for (;;) {
    const answer = await conversation.waitFor("message:text", { maxMilliseconds: opts.timeoutMs });
    const text = answer.message.text.trim();
    if (opts.secret) await answer.deleteMessage().catch(() => undefined);
    if (text === "/cancel" || text.startsWith("/cancel@")) {
      await answer.reply(opts.cancelled);
      return undefined;
    }
    if (text.startsWith("/")) {
      await answer.reply(opts.interrupted);
      await conversation.halt({ next: true });
    }
    try {
      return parse(text);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      await answer.reply(`${escapeHtml(err.message)}\nTry again, or /cancel.`, {
        parse_mode: "HTML",
      });
    }
  }
}

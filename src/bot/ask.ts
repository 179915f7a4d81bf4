import type { Conversation } from "@grammyjs/conversations";
import type { Context } from "grammy";
import { callbackData } from "../callback-data.ts";
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

/** One button of {@link askChoice}: what it shows and the value it stands for. */
export interface Choice<T> {
  label: string;
  value: T;
}

/**
 * Asks `question` with one inline button per choice (callback data `ask:<index>`, within
 * Telegram's 64 bytes) and waits for a press, or for a typed answer that `parse` accepts (an
 * {@link InputError} is explained and the question stands). A press is answered and the
 * question is edited to show the choice without buttons. `/cancel` returns undefined; any
 * other command ends the flow as in {@link askText}.
 */
export async function askChoice<T>(
  conversation: Conversation<BotContext, Context>,
  ctx: Context,
  question: string,
  choices: readonly Choice<T>[],
  parse: (text: string) => T,
  opts: AskOptions,
): Promise<T | undefined> {
  const asked = await ctx.reply(question, {
    parse_mode: "HTML",
    reply_markup: {
      inline_keyboard: [
        choices.map((c, i) => ({ text: c.label, callback_data: callbackData.ask(i) })),
      ],
    },
  });
  const settle = async (answer: Context, label: string) => {
    await answer.api
      .editMessageText(
        asked.chat.id,
        asked.message_id,
        `${question}\n→ <b>${escapeHtml(label)}</b>`,
        { parse_mode: "HTML", reply_markup: { inline_keyboard: [] } },
      )
      .catch(() => undefined);
  };
  for (;;) {
    const answer = await conversation.waitFor(["message:text", "callback_query:data"], {
      maxMilliseconds: opts.timeoutMs,
    });
    const data = answer.callbackQuery?.data;
    if (data !== undefined) {
      const index = callbackData.ask.parse(data)?.[0];
      const choice = index === undefined ? undefined : choices[index];
      const current = answer.callbackQuery?.message?.message_id === asked.message_id;
      if (!choice || !current) {
        await answer.answerCallbackQuery({ text: "That button belongs to another question." });
        continue;
      }
      await answer.answerCallbackQuery();
      await settle(answer, choice.label);
      return choice.value;
    }
    const text = (answer.message?.text ?? "").trim();
    if (text === "/cancel" || text.startsWith("/cancel@")) {
      await settle(answer, "cancelled");
      await answer.reply(opts.cancelled);
      return undefined;
    }
    if (text.startsWith("/")) {
      await answer.reply(opts.interrupted);
      await conversation.halt({ next: true });
    }
    try {
      const value = parse(text);
      await settle(answer, text);
      return value;
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      await answer.reply(`${escapeHtml(err.message)}\nPress a button, try again, or /cancel.`, {
        parse_mode: "HTML",
      });
    }
  }
}

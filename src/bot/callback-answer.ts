import type { Context, MiddlewareFn } from "grammy";
import type { BotContext } from "./context.ts";

/** Bot API methods that edit a sent message in place. */
const EDIT_METHODS = new Set([
  "editMessageText",
  "editMessageReplyMarkup",
  "editMessageCaption",
  "editMessageMedia",
]);

const answered = new WeakSet<Context>();

/** True once the callback query of `ctx` has been answered (by any handler or plugin). */
export function callbackAnswered(ctx: Context): boolean {
  return answered.has(ctx);
}

/**
 * True for Telegram's answer to an edit that changes nothing: `400 Bad Request: message is
 * not modified` (https://core.telegram.org/bots/api#editmessagetext). The message already
 * shows what was asked for, so the edit succeeded.
 */
export function isNotModified(res: { ok: boolean; error_code?: number; description?: string }) {
  return (
    !res.ok && res.error_code === 400 && /message is not modified/i.test(res.description ?? "")
  );
}

/**
 * Installs the per-update Bot API rules of a callback press on `ctx.api`:
 * - a callback query is answered once: Telegram refuses a second `answerCallbackQuery`
 *   for the same id (`query is too old … or query ID is invalid`), so a later answer in the
 *   same update is logged and skipped instead of throwing mid-handler;
 * - an edit Telegram answers with "message is not modified" (a ↻ Refresh of an unchanged
 *   screen) resolves as success (`true`) rather than throwing into the error boundary.
 * {@link callbackAnswered} tells the error boundary whether it may still answer.
 */
export function callbackAnswerOnce(): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    ctx.api.config.use(async (prev, method, payload, signal) => {
      if (method === "answerCallbackQuery") {
        if (answered.has(ctx)) {
          ctx.log.warn({ method }, "callback query already answered; second answer skipped");
          // biome-ignore lint/suspicious/noExplicitAny: the transformer returns the method's result type
          return { ok: true, result: true } as any;
        }
        answered.add(ctx);
        return prev(method, payload, signal);
      }
      const res = await prev(method, payload, signal);
      // biome-ignore lint/suspicious/noExplicitAny: the edit's result is unused by the handlers
      if (EDIT_METHODS.has(method) && isNotModified(res)) return { ok: true, result: true } as any;
      return res;
    });
    await next();
  };
}

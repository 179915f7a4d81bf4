import type { MiddlewareFn } from "grammy";
import type { BotContext } from "./context.ts";

/** Strangers are told once per this many ms; every attempt is logged. */
const REFUSAL_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Allowlist middleware: only `adminIds` pass. A stranger's message gets
 * one polite refusal (then silence for an hour, so the chat is not spammed); a stranger's
 * button press is answered with a refusal every time. Every attempt is logged.
 */
export function adminOnly(adminIds: readonly number[]): MiddlewareFn<BotContext> {
  const allowed = new Set(adminIds);
  const refusedAt = new Map<number, number>();
  return async function checkAdmin(ctx, next) {
    const id = ctx.from?.id;
    if (id !== undefined && allowed.has(id)) return next();
    ctx.log.warn(
      {
        user: id,
        username: ctx.from?.username,
        chat: ctx.chat?.id,
        update: Object.keys(ctx.update)[1],
      },
      "refused: not an admin",
    );
    if (ctx.callbackQuery) {
      await ctx.answerCallbackQuery({
        text: "Sorry, only the commanders of this bot may decide.",
        show_alert: true,
      });
      return;
    }
    if (id === undefined || !ctx.chat) return;
    const last = refusedAt.get(id) ?? 0;
    if (Date.now() - last < REFUSAL_INTERVAL_MS) return;
    refusedAt.set(id, Date.now());
    await ctx.reply("Sorry, this bot only answers its commanders. Your attempt has been logged.");
  };
}

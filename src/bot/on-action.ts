import type { CallbackQueryContext, Composer } from "grammy";
import type { CallbackAction } from "../callback-data.ts";
import type { BotContext } from "./context.ts";

/**
 * Registers `handler` for presses of `action` (declared in src/callback-data.ts); the
 * handler gets the press's values parsed and typed, so no handler reads `ctx.match`.
 */
export function onAction<A extends unknown[]>(
  composer: Composer<BotContext>,
  action: CallbackAction<A>,
  handler: (ctx: CallbackQueryContext<BotContext>, ...values: A) => unknown,
): void {
  composer.callbackQuery(action.pattern, async (ctx) => {
    const values = action.parse(ctx.callbackQuery.data);
    // The pattern matched, so the values parse; an answer keeps the client from spinning.
    if (values === undefined) return void (await ctx.answerCallbackQuery());
    await handler(ctx, ...values);
  });
}

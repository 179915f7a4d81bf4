import { Composer } from "grammy";
import type { InlineKeyboard } from "../db/schema/index.ts";
import type { AiderService } from "../src/aider/aider-service.ts";
import type { BotContext, CommandInfo } from "../src/bot/context.ts";
import { onAction } from "../src/bot/on-action.ts";
import {
  backKeyboard,
  renderSessionPage,
  SESSIONS_PAGE_SIZE,
} from "../src/bot/views/session-list.ts";
import { callbackData } from "../src/callback-data.ts";
import type { Clock } from "../src/types.ts";

/** `/sessions`: recent aider sessions, paginated, with details. */
export const sessionsCommand: CommandInfo = {
  command: "sessions",
  description: "Recent aider sessions with their summaries",
};

/** Dependencies of {@link createSessionsFeature}. */
export interface SessionsFeatureDeps {
  aider: AiderService;
  clock: Clock;
  timeZone: string;
}

const html = (keyboard: InlineKeyboard) => ({
  parse_mode: "HTML" as const,
  reply_markup: { inline_keyboard: keyboard },
});

/**
 * Composer for /sessions. The list shows the newest sessions first; ◀ ▶
 * (`sesp:<page>`) edit it in place, ℹ️ n (`sesd:<page>:<key>`) replaces it in place with that
 * session's summary (the same text as its chat message) and a Back button. Everything is
 * read from the database at each press.
 */
export function createSessionsFeature(deps: SessionsFeatureDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  async function page(requested: number) {
    const load = (p: number) =>
      deps.aider.queries.page({ offset: p * SESSIONS_PAGE_SIZE, limit: SESSIONS_PAGE_SIZE });
    const first = await load(requested);
    const last = Math.max(0, Math.ceil(first.total / SESSIONS_PAGE_SIZE) - 1);
    const p = Math.min(requested, last);
    const view = p === requested ? first : await load(p);
    return renderSessionPage({ ...view, page: p }, deps.clock.now(), deps.timeZone);
  }

  const edit = (ctx: BotContext, text: string, keyboard: InlineKeyboard) =>
    ctx.editMessageText(text, html(keyboard)).catch((err: unknown) => {
      if (!String(err).includes("message is not modified")) throw err;
    });

  composer.command("sessions", async (ctx) => {
    const view = await page(0);
    await ctx.reply(view.text, html(view.keyboard));
  });

  onAction(composer, callbackData.sessions.page, async (ctx, n) => {
    await ctx.answerCallbackQuery();
    const view = await page(n);
    await edit(ctx, view.text, view.keyboard);
  });

  onAction(composer, callbackData.sessions.details, async (ctx, back, key) => {
    const id = await deps.aider.queries.byKey(key);
    const text = id ? await deps.aider.render(id) : undefined;
    if (!text) {
      await ctx.answerCallbackQuery({ text: "That session no longer exists.", show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    await edit(ctx, text, backKeyboard(back));
  });
  return composer;
}

import { Menu, type MenuFlavor } from "@grammyjs/menu";
import { Composer } from "grammy";
import { actorName, type BotContext, type CommandInfo } from "../src/bot/context.ts";
import {
  backendIcon,
  renderBackendDetail,
  renderBackendList,
} from "../src/bot/views/backend-message.ts";
import { callbackData } from "../src/callback-data.ts";
import { NotFoundError } from "../src/errors.ts";
import type { BackendLive, ProxyModule } from "../src/proxy/proxy-module.ts";
import { startOfLocalDay, summarize } from "../src/proxy/stats.ts";
import { escapeHtml } from "../src/telegram-format.ts";
import type { Clock } from "../src/types.ts";

/** `/backends`: the backends menu. */
export const backendsCommand: CommandInfo = {
  command: "backends",
  description: "LLM backends: state, usage, actions",
};

type MenuContext = BotContext & MenuFlavor;

/**
 * The payload of the pressed menu button (the backend id), which @grammyjs/menu puts in
 * `ctx.match` as a string; "" when there is none (a menu rendered for a new message).
 */
const menuPayload = (ctx: BotContext): string => (typeof ctx.match === "string" ? ctx.match : "");

/** Dependencies of the backends feature. */
export interface BackendsDeps {
  proxy: ProxyModule;
  clock: Clock;
  timeZone: string;
}

/**
 * /backends as an @grammyjs/menu: a list by pool; a backend opens its detail (models,
 * today's usage) with enable/disable, move pool, clear cooldown and delete (confirmed).
 * The selected backend id travels as the menu payload; the state is read from the services.
 */
export function createBackendsFeature(deps: BackendsDeps): Composer<BotContext> {
  const { proxy, clock } = deps;
  const nowMs = () => clock.now().getTime();
  const find = async (id: string | undefined): Promise<BackendLive | undefined> =>
    (await proxy.live()).find((b) => b.id === id);

  const showList = async (ctx: MenuContext) => {
    await ctx.editMessageText(renderBackendList(await proxy.live(), nowMs()), {
      parse_mode: "HTML",
    });
  };
  const showDetail = async (ctx: MenuContext, id: string | undefined) => {
    const b = await find(id);
    if (!b) {
      ctx.menu.nav("bk");
      await showList(ctx);
      return;
    }
    const rows = (await proxy.usageSince(startOfLocalDay(clock.now(), deps.timeZone))).filter(
      (r) => r.backendId === id,
    );
    await ctx.editMessageText(renderBackendDetail(b, summarize(rows), nowMs(), deps.timeZone), {
      parse_mode: "HTML",
    });
  };
  /**
   * Runs an action on the payload's backend, answers the press once with its note, then
   * redraws the detail screen (the menus do not answer on their own: `autoAnswer: false`).
   */
  const act =
    (action: (b: BackendLive, ctx: MenuContext) => Promise<string>) =>
    async (ctx: MenuContext): Promise<void> => {
      const b = await find(ctx.match);
      if (!b) {
        await ctx.answerCallbackQuery({ text: "That backend no longer exists." });
        ctx.menu.nav("bk");
        await showList(ctx);
        return;
      }
      const note = await action(b, ctx);
      ctx.log.info({ backend: b.name, who: actorName(ctx), note }, "backend changed from the bot");
      await ctx.answerCallbackQuery({ text: note });
      await showDetail(ctx, b.id);
    };
  /** Answers the press without a note, then runs `show`. */
  const plain =
    (show: (ctx: MenuContext) => Promise<void>) =>
    async (ctx: MenuContext): Promise<void> => {
      await ctx.answerCallbackQuery();
      await show(ctx);
    };
  // Each handler answers its press exactly once itself: Telegram refuses a second answer.
  const menuOptions = { onMenuOutdated: "Updated; press again.", autoAnswer: false } as const;

  const list = new Menu<BotContext>("bk", menuOptions).dynamic(async (_ctx, range) => {
    for (const b of await proxy.live()) {
      range
        .text(
          { text: `${backendIcon(b)} ${b.name}`, payload: b.id },
          plain(async (ctx) => {
            ctx.menu.nav("bkd");
            await showDetail(ctx, ctx.match);
          }),
        )
        .row();
    }
    // An unchanged list edits to the same text: the bot's API layer takes Telegram's
    // "message is not modified" as success (src/bot/callback-answer.ts).
    range.text("↻ Refresh", plain(showList));
  });

  const detail = new Menu<BotContext>("bkd", menuOptions).dynamic(async (ctx, range) => {
    const b = await find(menuPayload(ctx));
    if (!b) return;
    const payload = b.id;
    range
      .text(
        { text: b.enabled ? "⏸ Disable" : "▶️ Enable", payload },
        act(async (x) => {
          await proxy.backends.update(x.id, { enabled: !x.enabled });
          return x.enabled ? "Disabled." : "Enabled.";
        }),
      )
      .text(
        { text: `⇄ Move to ${b.pool === "primary" ? "fallback" : "primary"}`, payload },
        act(async (x) => {
          const pool = x.pool === "primary" ? "fallback" : "primary";
          await proxy.backends.update(x.id, { pool });
          return `Moved to ${pool}.`;
        }),
      )
      .row();
    if (b.cooldown_until) {
      range.text(
        { text: "🧊 Clear cooldown", payload },
        act(async (x, c) => {
          await proxy.clearCooldown(x.id, actorName(c));
          return "Cooldown cleared.";
        }),
      );
    }
    range.text(
      { text: "🗑 Delete…", payload },
      plain(async (c) => {
        c.menu.nav("bkdel");
        await c.editMessageText(
          `Delete backend <b>${escapeHtml(b.name)}</b>? Agents lose it at once.`,
          { parse_mode: "HTML" },
        );
      }),
    );
    // « Back carries the payload too: the menu re-renders the pressed screen from it to
    // find the button, and an empty render would be taken as outdated.
    range.row().text(
      { text: "« Back", payload },
      plain(async (c) => {
        c.menu.nav("bk");
        await showList(c);
      }),
    );
  });

  const confirmDelete = new Menu<BotContext>("bkdel", menuOptions).dynamic(async (ctx, range) => {
    const payload = menuPayload(ctx);
    range
      .text({ text: "Yes, delete", payload }, async (c) => {
        let note = "That backend no longer exists.";
        try {
          const b = await find(c.match);
          await proxy.backends.remove(c.match ?? "");
          c.log.info({ backend: b?.name, who: actorName(c) }, "backend deleted from the bot");
          note = `Deleted ${b?.name ?? "backend"}.`;
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
        await c.answerCallbackQuery({ text: note });
        c.menu.nav("bk");
        await showList(c);
      })
      .text(
        { text: "Cancel", payload },
        plain(async (c) => {
          c.menu.nav("bkd");
          await showDetail(c, c.match ?? "");
        }),
      );
  });

  list.register(detail);
  list.register(confirmDelete);
  const composer = new Composer<BotContext>();
  composer.use(list);
  // Opened from the /status home screen: the list menu, in the pressed message.
  composer.callbackQuery(callbackData.home.backends, async (ctx) => {
    await ctx.answerCallbackQuery();
    await ctx.editMessageText(renderBackendList(await proxy.live(), nowMs()), {
      parse_mode: "HTML",
      reply_markup: list,
    });
  });
  composer.command("backends", async (ctx) => {
    await ctx.reply(renderBackendList(await proxy.live(), nowMs()), {
      parse_mode: "HTML",
      reply_markup: list,
    });
  });
  return composer;
}

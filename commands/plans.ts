import { Composer } from "grammy";
import type { BotContext, CommandInfo } from "../src/bot/context.ts";
import { callbackData, homeButton } from "../src/callback-data.ts";
import type { HealService } from "../src/heal/heal-service.ts";
import { KIND_LABEL } from "../src/heal/plan-view.ts";
import { planListLine } from "../src/notifications/views/heal-plan.ts";
import { truncateHtml } from "../src/telegram-format.ts";
import { cutText } from "../src/text-cut.ts";
import type { Clock } from "../src/types.ts";

/** `/plans`: pending and recent heal plans. */
export const plansCommand: CommandInfo = {
  command: "plans",
  description: "Heal plans awaiting a decision, and recent ones",
};

/** Recent (decided) plans listed under the pending ones. */
const RECENT = 8;

/**
 * Composer for /plans: pending plans first (each with a button that opens its plan message,
 * Approve and Reject included, in this message), then the newest decided ones, each plan
 * once; two pending plans on one target are flagged. Also opened in place from /status
 * (`home:plans`) and from a plan's « Plans button (`pl:`).
 */
export function createPlansFeature(deps: {
  heal: HealService;
  clock: Clock;
}): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  async function view() {
    const { pending, recent, incidentNumbers } = await deps.heal.overview(RECENT);
    const now = deps.clock.now();
    const num = (p: (typeof recent)[number]) =>
      p.incidentId ? incidentNumbers.get(p.incidentId) : undefined;
    const targets = new Map<string, number>();
    for (const p of pending) targets.set(p.target, (targets.get(p.target) ?? 0) + 1);
    const pendingLines = pending.map((p) => {
      const twice =
        (targets.get(p.target) ?? 0) > 1 ? " ⚠️ same target as another pending plan" : "";
      return `${planListLine(p, now, num(p))}${twice}`;
    });
    const lines = [
      `🩺 <b>Heal plans</b> · ${pending.length} pending`,
      ...(pending.length > 0 ? pendingLines : ["Nothing waits for a decision."]),
      "",
      "<b>Recent</b>",
      ...(recent.length > 0 ? recent.map((p) => planListLine(p, now, num(p))) : ["none"]),
    ];
    const keyboard = pending.slice(0, 8).map((p) => [
      {
        text: cutText(`🩺 ${KIND_LABEL[p.kind]} ${p.target}`, 40),
        callback_data: callbackData.plan.open(p.id),
      },
    ]);
    keyboard.push([{ text: "↻ Refresh", callback_data: callbackData.home.plans }, homeButton()]);
    return {
      text: truncateHtml(lines.join("\n"), "older plans are not shown"),
      options: { parse_mode: "HTML" as const, reply_markup: { inline_keyboard: keyboard } },
    };
  }
  composer.command("plans", async (ctx) => {
    const v = await view();
    await ctx.reply(v.text, v.options);
  });
  composer.callbackQuery(callbackData.home.plans, async (ctx) => {
    await ctx.answerCallbackQuery();
    const v = await view();
    await ctx.editMessageText(v.text, v.options).catch((err: unknown) => {
      if (!String(err).includes("message is not modified")) throw err;
    });
  });
  return composer;
}

import { Composer } from "grammy";
import type { BotContext, CommandInfo } from "../src/bot/context.ts";
import type { HealService } from "../src/heal/heal-service.ts";
import { planListLine } from "../src/heal/plan-message.ts";

/** `/plans`: pending and recent heal plans. */
export const plansCommand: CommandInfo = {
  command: "plans",
  description: "Pending and recent heal plans",
};

/** Composer for /plans (issue 5): pending plans first, then the 10 newest. */
export function createPlansFeature(deps: {
  heal: HealService;
  timeZone: string;
}): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("plans", async (ctx) => {
    const { pending, recent } = await deps.heal.overview(10);
    const line = (p: (typeof recent)[number]) => planListLine(p, deps.timeZone);
    const lines = [
      `<b>Heal plans</b> · ${pending.length} pending`,
      ...pending.map(line),
      "",
      "<b>Recent</b>",
      ...(recent.length > 0 ? recent.map(line) : ["none"]),
    ];
    await ctx.reply(lines.join("\n"), { parse_mode: "HTML" });
  });
  return composer;
}

import { Composer } from "grammy";
import type { BotContext, CommandInfo } from "../src/bot/context.ts";
import type { Digests } from "../src/reports/digests.ts";
import type { Clock } from "../src/types.ts";

/** `/report daily|weekly`: a report now. */
export const reportCommand: CommandInfo = {
  command: "report",
  description: "Send the daily or weekly report now: /report daily | weekly",
};

/**
 * Composer for /report: builds the report for the 24 h (or 7 days) up to
 * now and queues it through the outbox to the chat that asked, like every digest. The dedup
 * key names the command message, so a redelivered update does not send it twice; it never
 * touches the scheduled period (the 23:50 report still goes out).
 */
export function createReportFeature(deps: {
  digests: Pick<Digests, "report">;
  clock: Clock;
}): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("report", async (ctx) => {
    const kind = ctx.match.trim().toLowerCase() || "daily";
    if (kind !== "daily" && kind !== "weekly") {
      await ctx.reply("Usage: /report daily or /report weekly");
      return;
    }
    await deps.digests.report(kind, deps.clock.now(), {
      chatIds: [ctx.chat.id],
      dedupBase: `digest:ask:${kind}:${ctx.msg.message_id}`,
    });
  });
  return composer;
}

import { type Conversation, createConversation } from "@grammyjs/conversations";
import { Composer, type Context } from "grammy";
import { actorName, type BotContext } from "../src/bot/context.ts";
import type { HealService } from "../src/heal/heal-service.ts";
import { escapeHtml } from "../src/telegram-format.ts";
import { cutAt } from "../src/text-cut.ts";

/** Conversation id of the reject-with-reason flow. */
export const REJECT_PLAN_FLOW_ID = "reject-plan";

type RejectConversation = Conversation<BotContext, Context>;

/**
 * Reject a heal plan with an optional reason: asks one question;
 * `-` rejects without a reason, `/cancel` leaves the plan pending, any other command ends the
 * flow and is handled as usual. The rejection itself (first decision wins) runs inside
 * `conversation.external()` because conversations v2 replay this function.
 */
export function createRejectPlanFlow(deps: { heal: HealService }) {
  return async function rejectPlanFlow(
    conversation: RejectConversation,
    ctx: Context,
    planId: string,
  ): Promise<void> {
    await ctx.reply(
      "Rejecting the plan. Why? One line, or - for no reason. /cancel keeps it pending.",
    );
    const answer = await conversation.waitFor("message:text");
    const text = answer.message.text.trim();
    if (text === "/cancel" || text.startsWith("/cancel@")) {
      await answer.reply("Cancelled; the plan is still pending.");
      return;
    }
    if (text.startsWith("/")) {
      await answer.reply("Reject cancelled; the plan is still pending.");
      await conversation.halt({ next: true });
    }
    const reason = text === "-" ? null : cutAt(text, 500);
    const who = actorName(answer);
    const result = await conversation.external(() => deps.heal.reject(planId, who, reason));
    await answer.reply(
      result.changed
        ? `✋ Rejected${reason ? `: ${escapeHtml(reason)}` : "."}`
        : escapeHtml(result.message),
      { parse_mode: "HTML" },
    );
  };
}

/** Registers the reject-plan conversation; install after `conversations()` (see create-bot). */
export function createRejectPlanFlowFeature(deps: { heal: HealService }): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.use(createConversation(createRejectPlanFlow(deps), REJECT_PLAN_FLOW_ID));
  return composer;
}

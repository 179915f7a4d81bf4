import { type CallbackQueryContext, Composer } from "grammy";
import type { InlineKeyboardButton } from "grammy/types";
import type { Db } from "../db/client.ts";
import { REJECT_PLAN_FLOW_ID } from "../flows/reject-plan.ts";
import { actorName, type BotContext } from "../src/bot/context.ts";
import { createKvStorage } from "../src/bot/conversation-storage.ts";
import { onAction } from "../src/bot/on-action.ts";
import { callbackData } from "../src/callback-data.ts";
import type { HealService } from "../src/heal/heal-service.ts";
import { confirmKeyboard, renderPlanDetails } from "../src/notifications/views/heal-plan.ts";
import type { Clock } from "../src/types.ts";

/** Dependencies of {@link createPlanButtonsFeature}. */
export interface PlanButtonsDeps {
  heal: HealService;
  db: Db;
  clock: Clock;
  timeZone: string;
}

/** A plan button: approve, confirm approving, reject, details, back to the plan. */
type PlanAction = "pa" | "pc" | "pr" | "pd" | "pb";

const notModified = (err: unknown) => {
  if (!String(err).includes("message is not modified")) throw err;
};

/**
 * The buttons on heal plan messages. Approve (`pa:<id>`) decides at once, first decision
 * wins, and is only offered when the guardrails would let the plan run (the service asks
 * them again on the press); on a high-risk plan it turns the buttons into ⚠️ Yes, run it
 * (`pc:`) and « Back (`pb:`). Reject (`pr:`) asks for an optional reason
 * (flows/reject-plan.ts). Details (`pd:`) shows the plan's details and audit in the same
 * message, « Back returns. A plan opened from /plans (`po:`) is drawn in the list's message
 * with a « Plans button (remembered in the `kv` table, so later presses keep it). The
 * allowlist is checked before this runs (adminOnly); every press is answered; the state is
 * read from the database, never from the pressed message. "Propose fix" (`pf:<alertId>`) on
 * an alert message proposes the plan its template describes, as the admin who pressed it.
 */
export function createPlanButtonsFeature(deps: PlanButtonsDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  /** Messages that show a plan opened from /plans, by `<chat>:<message>`. */
  const opened = createKvStorage<string>(deps.db, "ui:plan-from-list:", deps.clock);
  const keyOf = (ctx: BotContext) => {
    const m = ctx.callbackQuery?.message;
    return m ? `${m.chat.id}:${m.message_id}` : undefined;
  };

  /**
   * Draws plan `id` as it stands in the pressed message (with « Plans when opened from the
   * list). `listOnly`: after a decision, when the pressed message is the plan's own message
   * the outbox edits it in order with the execution's progress, so only a list view is drawn.
   */
  async function showPlan(ctx: BotContext, id: string, listOnly = false): Promise<void> {
    const key = keyOf(ctx);
    const fromList = key !== undefined && (await opened.read(key)) === id;
    if (listOnly && !fromList) return;
    const msg = await deps.heal.message(id);
    if (!msg) return;
    const keyboard: InlineKeyboardButton[][] = [...(msg.keyboard ?? [])];
    if (fromList) keyboard.push([{ text: "« Plans", callback_data: callbackData.home.plans }]);
    await ctx
      .editMessageText(msg.text, {
        parse_mode: "HTML",
        reply_markup: { inline_keyboard: keyboard },
      })
      .catch(notModified);
  }

  onAction(composer, callbackData.proposeFix, async (ctx, alertId) => {
    const who = actorName(ctx);
    const result = await deps.heal.proposeFromAlert(alertId, who);
    await ctx.answerCallbackQuery({ text: result.message, show_alert: !result.created });
    ctx.log.info(
      { alert: alertId, who, created: result.created, plan: result.plan?.id },
      "propose fix pressed",
    );
  });

  onAction(composer, callbackData.plan.open, async (ctx, id) => {
    const key = keyOf(ctx);
    if (key) await opened.write(key, id);
    await ctx.answerCallbackQuery();
    await showPlan(ctx, id);
  });

  const press = async (
    ctx: CallbackQueryContext<BotContext>,
    action: PlanAction,
    planId: string,
  ) => {
    const who = actorName(ctx);
    if (action === "pa" || action === "pc") {
      const result = await deps.heal.approve(planId, who, { confirmed: action === "pc" });
      ctx.log.info(
        { plan: planId, who, changed: result.changed, confirm: action === "pc" },
        "plan approve pressed",
      );
      if (result.needsConfirm) {
        await ctx.answerCallbackQuery({ text: result.message });
        // The plan itself (not its details, if they were open) above the confirming button.
        const msg = await deps.heal.message(planId);
        if (msg)
          await ctx
            .editMessageText(msg.text, {
              parse_mode: "HTML",
              reply_markup: { inline_keyboard: confirmKeyboard({ id: planId }) },
            })
            .catch(notModified);
        return;
      }
      await ctx.answerCallbackQuery({ text: result.message, show_alert: !result.changed });
      await showPlan(ctx, planId, result.changed);
      return;
    }
    const plan = await deps.heal.store.get(planId);
    if (!plan) {
      await ctx.answerCallbackQuery({ text: "That plan does not exist.", show_alert: true });
      return;
    }
    if (action === "pb") {
      await ctx.answerCallbackQuery();
      await showPlan(ctx, planId);
      return;
    }
    if (action === "pd") {
      await ctx.answerCallbackQuery();
      const d = renderPlanDetails(plan, await deps.heal.audit(planId), {
        timeZone: deps.timeZone,
        now: deps.clock.now(),
      });
      await ctx
        .editMessageText(d.text, {
          parse_mode: "HTML",
          reply_markup: { inline_keyboard: d.keyboard },
        })
        .catch(notModified);
      return;
    }
    if (plan.status !== "pending") {
      const result = await deps.heal.reject(planId, who, null);
      await ctx.answerCallbackQuery({ text: result.message, show_alert: !result.changed });
      await showPlan(ctx, planId, result.changed);
      return;
    }
    await ctx.answerCallbackQuery({ text: "Why? Send a reason, or - for none." });
    await ctx.conversation.enter(REJECT_PLAN_FLOW_ID, planId);
  };
  const buttons = [
    [callbackData.plan.approve, "pa"],
    [callbackData.plan.confirm, "pc"],
    [callbackData.plan.reject, "pr"],
    [callbackData.plan.details, "pd"],
    [callbackData.plan.back, "pb"],
  ] as const;
  for (const [button, action] of buttons) {
    onAction(composer, button, (ctx, planId) => press(ctx, action, planId));
  }
  return composer;
}

import { Composer } from "grammy";
import { REJECT_PLAN_FLOW_ID } from "../flows/reject-plan.ts";
import { actorName, type BotContext } from "../src/bot/context.ts";
import { callbackData } from "../src/callback-data.ts";
import type { HealService } from "../src/heal/heal-service.ts";
import { describeAction } from "../src/heal/plan-message.ts";
import { escapeHtml, formatTime } from "../src/telegram-format.ts";

/** Dependencies of {@link createPlanButtonsFeature}. */
export interface PlanButtonsDeps {
  heal: HealService;
  timeZone: string;
}

/**
 * The buttons on heal plan messages (issue 5): Approve (`pa:<id>`) decides at once, first
 * decision wins; Reject (`pr:<id>`) asks for an optional reason (flows/reject-plan.ts);
 * Details (`pd:<id>`) replies with the full plan and its content hash. The allowlist is
 * checked before this runs (adminOnly); every press is answered. The state is read from the
 * database, never from the pressed message. "Propose fix" (`pf:<alertId>`) on an alert
 * message proposes the plan its template describes, as the admin who pressed it.
 */
export function createPlanButtonsFeature(deps: PlanButtonsDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.callbackQuery(callbackData.proposeFix.pattern, async (ctx) => {
    const alertId = callbackData.proposeFix.parse(ctx.callbackQuery.data);
    if (!alertId) return;
    const who = actorName(ctx);
    const result = await deps.heal.proposeFromAlert(alertId, who);
    await ctx.answerCallbackQuery({ text: result.message, show_alert: !result.created });
    ctx.log.info(
      { alert: alertId, who, created: result.created, plan: result.plan?.id },
      "propose fix pressed",
    );
  });
  const planActions = [
    ["pa", callbackData.plan.approve],
    ["pr", callbackData.plan.reject],
    ["pd", callbackData.plan.details],
  ] as const;
  const pressed = (data: string) => {
    for (const [action, a] of planActions) {
      const planId = a.parse(data);
      if (planId) return { action, planId };
    }
    return undefined;
  };
  composer.callbackQuery(/^(pa|pr|pd):/, async (ctx) => {
    const press = pressed(ctx.callbackQuery.data);
    if (!press) return;
    const { action, planId } = press;
    const who = actorName(ctx);
    if (action === "pa") {
      const result = await deps.heal.approve(planId, who);
      await ctx.answerCallbackQuery({ text: result.message, show_alert: !result.changed });
      ctx.log.info({ plan: planId, who, changed: result.changed }, "plan approve pressed");
      return;
    }
    const plan = await deps.heal.store.get(planId);
    if (!plan) {
      await ctx.answerCallbackQuery({ text: "That plan does not exist.", show_alert: true });
      return;
    }
    if (action === "pd") {
      await ctx.answerCallbackQuery();
      const audit = await deps.heal.audit(planId);
      await ctx.reply(
        [
          `<b>Heal plan</b> <code>${plan.id}</code> · ${plan.status}`,
          `Will ${describeAction(plan)}`,
          `Why: ${escapeHtml(plan.rationale)}`,
          `Risk: ${plan.risk} · proposed by ${escapeHtml(plan.proposedBy)}`,
          `Expires: ${formatTime(plan.expiresAt, deps.timeZone)}`,
          `Content hash: <code>${plan.contentHash}</code>`,
          `Audit: ${audit.length} rows; last: ${escapeHtml(audit.at(-1)?.step ?? "none")}`,
        ].join("\n"),
        { parse_mode: "HTML" },
      );
      return;
    }
    if (plan.status !== "pending") {
      const result = await deps.heal.reject(planId, who, null);
      await ctx.answerCallbackQuery({ text: result.message, show_alert: !result.changed });
      return;
    }
    await ctx.answerCallbackQuery({ text: "Why? Send a reason, or - for none." });
    await ctx.conversation.enter(REJECT_PLAN_FLOW_ID, planId);
  });
  return composer;
}

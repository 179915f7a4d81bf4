import { Composer } from "grammy";
import { actorName, type BotContext } from "../src/bot/context.ts";
import { onAction } from "../src/bot/on-action.ts";
import { callbackData } from "../src/callback-data.ts";
import type { GroupActions } from "../src/incidents/group-actions.ts";
import type { ActionResult } from "../src/incidents/incident-actions.ts";

/** Mute group 1 h: the one duration a group message offers, in ms. */
const GROUP_MUTE_MS = 3_600_000;

/**
 * The buttons of a group message (src/notifications/views/alert-group.ts): Acknowledge all
 * (`gack:<groupId>`), Mute group 1 h (`gm1h:<groupId>`) and a member's drill-down
 * (`gshow:<alertId>`: its own message, with its buttons, in the chat and topic pressed).
 * The allowlist is checked before this runs; each press is answered with what happened, and
 * messages are edited through the outbox.
 */
export function createGroupButtonsFeature(deps: {
  groupActions: GroupActions;
}): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const { ackAll, mute1h, show } = callbackData.group;
  const answer = async (ctx: BotContext, id: string, action: string, r: ActionResult) => {
    await ctx.answerCallbackQuery({ text: r.message, show_alert: !r.changed });
    ctx.log.info({ id, action, who: actorName(ctx), changed: r.changed }, "group button");
  };
  onAction(composer, ackAll, async (ctx, groupId) => {
    await answer(
      ctx,
      groupId,
      ackAll.prefix,
      await deps.groupActions.acknowledgeAll(groupId, actorName(ctx)),
    );
  });
  onAction(composer, mute1h, async (ctx, groupId) => {
    const r = await deps.groupActions.mute(groupId, GROUP_MUTE_MS, actorName(ctx));
    await answer(ctx, groupId, mute1h.prefix, r);
  });
  onAction(composer, show, async (ctx, alertId) => {
    const chatId = ctx.chat?.id;
    if (chatId === undefined) return void (await ctx.answerCallbackQuery());
    const pressed = ctx.callbackQuery.message;
    const threadId =
      pressed && "message_thread_id" in pressed && pressed.is_topic_message
        ? (pressed.message_thread_id ?? null)
        : null;
    await answer(
      ctx,
      alertId,
      show.prefix,
      await deps.groupActions.show(alertId, { chatId, threadId }),
    );
  });
  return composer;
}

import { type CallbackQueryContext, Composer } from "grammy";
import { actorName, type BotContext, type CommandInfo } from "../src/bot/context.ts";
import { onAction } from "../src/bot/on-action.ts";
import { renderMuteLifted, renderMuteList } from "../src/bot/views/mute-message.ts";
import { callbackData } from "../src/callback-data.ts";
import { NotFoundError } from "../src/errors.ts";
import type { IncidentActions } from "../src/incidents/incident-actions.ts";
import type { MuteService } from "../src/mutes/mute-service.ts";
import type { Clock } from "../src/types.ts";

/** `/mutes`: lists active mutes with an Unmute button each. */
export const mutesCommand: CommandInfo = {
  command: "mutes",
  description: "Active mutes, each with an Unmute button",
};

/** Dependencies of {@link createMutesFeature}. */
export interface MutesFeatureDeps {
  mutes: MuteService;
  actions: IncidentActions;
  clock: Clock;
  timeZone: string;
}

/**
 * Composer for /mutes and its Unmute buttons (`lift:<muteId>`). A press lifts the mute,
 * answers at once and redraws the list in place; `unmute:<muteId>` (the button on an alert
 * message) lifts it too, and the alert message is edited through the outbox;
 * `umr:<muteId>` (the button on the reply to /mute) lifts it and edits that reply in place.
 */
export function createMutesFeature(deps: MutesFeatureDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const render = async () =>
    renderMuteList(
      await deps.mutes.listActive(),
      deps.clock.now(),
      deps.timeZone,
      await deps.mutes.foreignSilences(),
    );

  composer.command("mutes", async (ctx) => {
    const { text, keyboard } = await render();
    await ctx.reply(text, { parse_mode: "HTML", reply_markup: { inline_keyboard: keyboard } });
  });

  const unmute = async (
    ctx: CallbackQueryContext<BotContext>,
    kind: "lift" | "unmute" | "reply",
    muteId: string,
  ) => {
    const who = actorName(ctx);
    const result = await deps.actions.unmute(muteId, who).catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
    await ctx.answerCallbackQuery({
      text: result?.message ?? "That mute does not exist.",
      show_alert: result?.silence?.state === "failed",
    });
    ctx.log.info({ mute: muteId, who, changed: result?.changed }, "unmute pressed");
    if (kind === "reply" && result?.mute) {
      const text = renderMuteLifted(result.mute, deps.clock.now(), deps.timeZone, result.silence);
      await ctx
        .editMessageText(text, { parse_mode: "HTML", reply_markup: { inline_keyboard: [] } })
        .catch((err) => ctx.log.warn({ err }, "could not edit the /mute reply"));
      return;
    }
    if (kind !== "lift") return;
    const { text, keyboard } = await render();
    await ctx
      .editMessageText(text, { parse_mode: "HTML", reply_markup: { inline_keyboard: keyboard } })
      .catch((err) => ctx.log.warn({ err }, "could not redraw /mutes"));
  };
  onAction(composer, callbackData.liftMute, (ctx, muteId) => unmute(ctx, "lift", muteId));
  onAction(composer, callbackData.unmute, (ctx, muteId) => unmute(ctx, "unmute", muteId));
  onAction(composer, callbackData.unmuteReply, (ctx, muteId) => unmute(ctx, "reply", muteId));

  onAction(composer, callbackData.expireSilence, async (ctx, silenceId) => {
    const outcome = await deps.mutes.expireSilence(silenceId);
    const text =
      outcome.state === "failed"
        ? `Alertmanager ${outcome.error}; the silence is still there.`
        : "Silence expired in Alertmanager.";
    await ctx.answerCallbackQuery({ text, show_alert: outcome.state === "failed" });
    ctx.log.info(
      { silence: silenceId, who: actorName(ctx), state: outcome.state },
      "expire pressed",
    );
    const { text: list, keyboard } = await render();
    await ctx
      .editMessageText(list, { parse_mode: "HTML", reply_markup: { inline_keyboard: keyboard } })
      .catch((err) => ctx.log.warn({ err }, "could not redraw /mutes"));
  });
  return composer;
}

import { type CallbackQueryContext, Composer } from "grammy";
import type { Db } from "../db/client.ts";
import { actorName, type BotContext, type CommandInfo } from "../src/bot/context.ts";
import { createKvStorage } from "../src/bot/conversation-storage.ts";
import { onAction } from "../src/bot/on-action.ts";
import { INCIDENTS_PAGE_SIZE, renderIncidentPage } from "../src/bot/views/incident-list.ts";
import { callbackData } from "../src/callback-data.ts";
import type { IncidentActions } from "../src/incidents/incident-actions.ts";
import { incidentTags } from "../src/incidents/incident-ref.ts";
import type { IncidentService } from "../src/incidents/incident-service.ts";
import { memoryLine } from "../src/triage/memory-text.ts";
import type { SymptomMemory } from "../src/triage/symptom-memory.ts";
import type { Clock } from "../src/types.ts";
import { type AlertAction, runAlertAction } from "./incident-buttons.ts";

/** `/incidents`: open and recent incidents, paginated, with their buttons. */
export const incidentsCommand: CommandInfo = {
  command: "incidents",
  description: "Open and recent incidents with their buttons",
};

/** Resolved incidents stay in the list this long (24 h). */
const RECENT_MS = 24 * 3_600_000;

/** Dependencies of {@link createIncidentsFeature}. */
export interface IncidentsFeatureDeps {
  db: Db;
  incidents: IncidentService;
  actions: IncidentActions;
  clock: Clock;
  timeZone: string;
  /** "Seen N times, last fixed by …" under each incident (optional). */
  symptoms?: Pick<SymptomMemory, "recallMany">;
}

/**
 * Composer for /incidents (docs/architecture.md, Terms). ◀ ▶ (`incp:<page>`) edit the list message
 * in place; the page a list message shows is kept in the `kv` table, so the buttons of
 * each incident (`iack:`, `ires:`, `im1h:`, `im24h:` + incident id) can redraw the same page
 * after acting. Actions go to the incident's newest alert, so its message is edited too.
 */
export function createIncidentsFeature(deps: IncidentsFeatureDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const pages = createKvStorage<number>(deps.db, "ui:incidents-page:", deps.clock);
  const pageKey = (chat: number, message: number) => `${chat}:${message}`;

  async function render(requested: number) {
    const resolvedSince = new Date(deps.clock.now().getTime() - RECENT_MS);
    const load = (p: number) =>
      deps.incidents.page({
        offset: p * INCIDENTS_PAGE_SIZE,
        limit: INCIDENTS_PAGE_SIZE,
        resolvedSince,
      });
    const first = await load(requested);
    const last = Math.max(0, Math.ceil(first.total / INCIDENTS_PAGE_SIZE) - 1);
    const page = Math.min(requested, last);
    const view = page === requested ? first : await load(page);
    const memory = new Map<string, string>();
    for (const [id, r] of (await deps.symptoms?.recallMany(view.rows)) ?? []) {
      const line = memoryLine(r, deps.timeZone);
      if (line) memory.set(id, line);
    }
    const tags = await incidentTags(
      deps.db,
      view.rows.map((r) => r.id),
    );
    const { text, keyboard } = renderIncidentPage(
      { ...view, page, memory, tags, now: deps.clock.now() },
      deps.timeZone,
    );
    return {
      page,
      text,
      options: { parse_mode: "HTML" as const, reply_markup: { inline_keyboard: keyboard } },
    };
  }

  async function redraw(ctx: BotContext, page: number): Promise<void> {
    const chat = ctx.chat?.id;
    const message = ctx.callbackQuery?.message?.message_id;
    const view = await render(page);
    if (chat !== undefined && message !== undefined) {
      await pages.write(pageKey(chat, message), view.page);
    }
    await ctx.editMessageText(view.text, view.options).catch((err: unknown) => {
      if (!String(err).includes("message is not modified")) throw err;
    });
  }

  composer.command("incidents", async (ctx) => {
    const view = await render(0);
    const sent = await ctx.reply(view.text, view.options);
    await pages.write(pageKey(sent.chat.id, sent.message_id), 0);
  });

  // Opened from the /status home screen: the first page, in the pressed message.
  composer.callbackQuery(callbackData.home.incidents, async (ctx) => {
    await ctx.answerCallbackQuery();
    await redraw(ctx, 0);
  });

  onAction(composer, callbackData.incidentsPage, async (ctx, page) => {
    await ctx.answerCallbackQuery();
    await redraw(ctx, page);
  });

  const buttons = [
    [callbackData.incident.ack, "ack"],
    [callbackData.incident.resolve, "res"],
    [callbackData.incident.mute1h, "m1h"],
    [callbackData.incident.mute24h, "m24h"],
  ] as const;
  const press = async (
    ctx: CallbackQueryContext<BotContext>,
    action: AlertAction,
    incidentId: string,
  ) => {
    const who = actorName(ctx);
    const alertId = await deps.actions.alertOfIncident(incidentId);
    if (!alertId) {
      await ctx.answerCallbackQuery({ text: "That incident no longer exists.", show_alert: true });
      return;
    }
    const result = await runAlertAction(deps.actions, action, alertId, who);
    await ctx.answerCallbackQuery({ text: result.message, show_alert: !result.changed });
    ctx.log.info({ incident: incidentId, action, who, changed: result.changed }, "incident button");
    const chat = ctx.chat?.id;
    const message = ctx.callbackQuery.message?.message_id;
    const page =
      chat !== undefined && message !== undefined
        ? ((await pages.read(pageKey(chat, message))) ?? 0)
        : 0;
    await redraw(ctx, page);
  };
  for (const [button, action] of buttons) {
    onAction(composer, button, (ctx, incidentId) => press(ctx, action, incidentId));
  }
  return composer;
}

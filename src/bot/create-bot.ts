import { autoRetry } from "@grammyjs/auto-retry";
import { conversations } from "@grammyjs/conversations";
import { sequentialize } from "@grammyjs/runner";
import { Bot, BotError, type Context, GrammyError, HttpError } from "grammy";
import type { Db } from "../../db/client.ts";
import type { AiderService } from "../aider/aider-service.ts";
import type { DashboardModule } from "../dashboard/dashboard-module.ts";
import type { HealService } from "../heal/heal-service.ts";
import type { HeartbeatService } from "../heartbeats/heartbeat-service.ts";
import type { GroupActions } from "../incidents/group-actions.ts";
import type { IncidentActions } from "../incidents/incident-actions.ts";
import type { IncidentService } from "../incidents/incident-service.ts";
import type { Logger } from "../logger.ts";
import type { MuteService } from "../mutes/mute-service.ts";
import type { NotificationRouter } from "../notifications/notification-router.ts";
import type { Pacer } from "../outbox/pacer.ts";
import type { ProxyModule } from "../proxy/proxy-module.ts";
import type { Digests } from "../reports/digests.ts";
import type { SmokeService } from "../smoke/smoke-service.ts";
import type { StatusService } from "../status/status-service.ts";
import type { SymptomMemory } from "../triage/symptom-memory.ts";
import type { TriageService } from "../triage/triage-service.ts";
import type { Clock } from "../types.ts";
import { adminOnly } from "./auth.ts";
import { callbackAnswered, callbackAnswerOnce } from "./callback-answer.ts";
import type { BotContext } from "./context.ts";
import { conversationStorage } from "./conversation-storage.ts";
import {
  addBackendCommand,
  agentsCommand,
  backendsCommand,
  type CommandInfo,
  createAddBackendFeature,
  createAgentsFeature,
  createBackendsFeature,
  createDashboardFeature,
  createGroupButtonsFeature,
  createHelpFeature,
  createIncidentButtonsFeature,
  createIncidentsFeature,
  createMuteFeature,
  createMuteFlowFeature,
  createMutesFeature,
  createPlanButtonsFeature,
  createPlansFeature,
  createRejectPlanFlowFeature,
  createReportFeature,
  createRoutesFeature,
  createSessionsFeature,
  createSmokeFeature,
  createStartFeature,
  createStatusFeature,
  createTriageButtonsFeature,
  createUsageFeature,
  dashboardCommand,
  helpCommand,
  incidentsCommand,
  muteCommand,
  mutesCommand,
  plansCommand,
  reportCommand,
  routesCommand,
  sessionsCommand,
  smokeCommand,
  startCommand,
  statusCommand,
  usageCommand,
} from "./features.ts";
import { pacedFetch } from "./paced-sends.ts";
import type { SecretInbox } from "./secret-input.ts";
import { onceOnly, type UpdateLedger } from "./update-ledger.ts";

/** Dependencies of {@link createBot}. */
export interface BotDeps {
  token: string;
  apiRoot: string;
  adminIds: readonly number[];
  logger: Logger;
  status: StatusService;
  /** Conversation state and UI state live in its `kv` table. */
  db: Db;
  clock: Clock;
  timeZone: string;
  incidents: IncidentService;
  mutes: MuteService;
  actions: IncidentActions;
  /** The buttons of group messages (Acknowledge all, Mute group, a member's message). */
  groupActions: GroupActions;
  /** Backends, usage and cooldowns for /backends and /usage. */
  proxy: ProxyModule;
  /** Smoke checks for /smoke. */
  smoke: SmokeService;
  /** Reports for /report. */
  digests: Digests;
  /** Heal plans for /plans and the plan buttons. */
  heal: HealService;
  /** Agent heartbeats for /agents. */
  heartbeats: HeartbeatService;
  /** aider sessions for /sessions. */
  aider: AiderService;
  /** The Mini App's entry for /dashboard: web_app URL and one-time login links. */
  dashboard: Pick<DashboardModule, "entry">;
  /** "🧠 Triage" on alert messages. */
  triage: TriageService;
  /** Symptom memory for /incidents ("seen N times, last fixed by …"). */
  symptoms: SymptomMemory;
  /** Update ids taken by any replica: each update is handled once (src/bot/update-ledger.ts). */
  updates?: UpdateLedger;
  /** Telegram's send limits, shared with the outbox (src/outbox/pacer.ts); none: unpaced. */
  pacer?: Pacer;
  /** Secrets typed into the chat, kept out of conversation state (/addbackend's key). */
  secrets: SecretInbox;
  /** Notification routes for /routes. */
  notifyRouter: NotificationRouter;
}

/** The command list, in /help order; also sent with setMyCommands. */
export const COMMANDS: readonly CommandInfo[] = [
  statusCommand,
  incidentsCommand,
  muteCommand,
  mutesCommand,
  routesCommand,
  backendsCommand,
  addBackendCommand,
  usageCommand,
  plansCommand,
  agentsCommand,
  sessionsCommand,
  smokeCommand,
  reportCommand,
  dashboardCommand,
  helpCommand,
  startCommand,
];

/**
 * Builds the grammY bot: per-update child logger, admin allowlist, one Composer per
 * command, an unknown-command catch-all, and an error boundary that logs and answers.
 */
export function createBot(deps: BotDeps): Bot<BotContext> {
  const bot = new Bot<BotContext>(deps.token, {
    client: { apiRoot: deps.apiRoot, ...(deps.pacer && { fetch: pacedFetch(deps.pacer) }) },
  });
  bot.api.config.use(
    autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 10, rethrowHttpErrors: true }),
  );

  // The error boundary of every handler, in polling and webhook mode alike (grammY's
  // `bot.catch` sees polling errors only; a webhook handler's error would become a 500 and
  // Telegram would redeliver the update): logged with the update id, the user gets a short
  // apology, and the update counts as handled.
  bot.use(async (ctx, next) => {
    ctx.log = deps.logger.child({ update_id: ctx.update.update_id });
    try {
      await next();
    } catch (err) {
      await handleBotError(new BotError<BotContext>(err, ctx), deps.logger);
    }
  });
  bot.use(callbackAnswerOnce());
  if (deps.updates) bot.use(onceOnly(deps.updates, () => deps.clock.now()));
  // Updates of one chat are handled one at a time (the runner and webhooks deliver them
  // concurrently), so conversation state never races.
  bot.use(sequentialize((ctx) => ctx.chat?.id.toString()));
  bot.use(adminOnly(deps.adminIds));
  // Before conversations(): a secret answer is replaced by its ref before any flow stores it.
  bot.use(deps.secrets.middleware);
  bot.use(
    conversations<BotContext, Context>({
      storage: conversationStorage(deps.db),
      // API transformers do not reach conversations unless installed here (grammY's conversations plugin replays API calls through them).
      plugins: [
        async (ctx, next) => {
          ctx.api.config.use(
            autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 10, rethrowHttpErrors: true }),
          );
          await next();
        },
      ],
    }),
  );
  bot.use(createMuteFlowFeature(deps));
  bot.use(createAddBackendFeature(deps));
  bot.use(createRejectPlanFlowFeature(deps));
  bot.use(createStartFeature());
  bot.use(createHelpFeature(COMMANDS));
  bot.use(createStatusFeature(deps));
  bot.use(createIncidentButtonsFeature(deps));
  bot.use(createGroupButtonsFeature(deps));
  bot.use(createIncidentsFeature(deps));
  bot.use(createMuteFeature(deps));
  bot.use(createMutesFeature(deps));
  bot.use(createRoutesFeature(deps));
  bot.use(createBackendsFeature(deps));
  bot.use(createUsageFeature(deps));
  bot.use(createSmokeFeature(deps));
  bot.use(createReportFeature(deps));
  bot.use(createPlanButtonsFeature(deps));
  bot.use(createTriageButtonsFeature(deps));
  bot.use(createPlansFeature(deps));
  bot.use(createAgentsFeature(deps));
  bot.use(createSessionsFeature(deps));
  bot.use(createDashboardFeature(deps));

  bot.on("message:text", async (ctx) => {
    if (ctx.message.text.startsWith("/")) {
      await ctx.reply("I don't know that command. Send /help for the list.");
    }
  });
  bot.on("callback_query:data", (ctx) =>
    ctx.answerCallbackQuery({ text: "This button is no longer active.", show_alert: false }),
  );

  bot.catch((err: BotError<BotContext>) => handleBotError(err, deps.logger));
  return bot;
}

async function handleBotError(err: BotError<BotContext>, logger: Logger): Promise<void> {
  const { ctx } = err;
  const log = ctx.log ?? logger;
  const e = err.error;
  if (e instanceof GrammyError)
    log.error(
      { method: e.method, code: e.error_code, description: e.description },
      "Bot API call failed",
    );
  else if (e instanceof HttpError) log.error({ err: e.error }, "could not reach the Bot API");
  else log.error({ err: e }, "bot handler failed");
  try {
    // A press is answered once: after the handler's own answer the apology goes to the chat.
    if (ctx.callbackQuery && !callbackAnswered(ctx))
      await ctx.answerCallbackQuery({
        text: "Sorry, something went wrong; it has been logged.",
        show_alert: true,
      });
    else if (ctx.chat)
      await ctx.reply("Sorry, something went wrong handling that; it has been logged.");
  } catch {
    /* Telegram itself may be the problem */
  }
}

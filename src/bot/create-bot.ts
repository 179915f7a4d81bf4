import { autoRetry } from "@grammyjs/auto-retry";
import { Bot, type BotError, GrammyError, HttpError } from "grammy";
import type { EventRouter } from "../events/event-router.ts";
import type { Logger } from "../logger.ts";
import type { StatusService } from "../status/status-service.ts";
import { adminOnly } from "./auth.ts";
import type { BotContext } from "./context.ts";
import {
  type CommandInfo,
  createAcknowledgeFeature,
  createHelpFeature,
  createStartFeature,
  createStatusFeature,
  helpCommand,
  startCommand,
  statusCommand,
} from "./features.ts";

/** Dependencies of {@link createBot}. */
export interface BotDeps {
  token: string;
  apiRoot: string;
  adminIds: readonly number[];
  logger: Logger;
  status: StatusService;
  router: EventRouter;
}

/** The command list, in /help order; also sent with setMyCommands. */
export const COMMANDS: readonly CommandInfo[] = [statusCommand, helpCommand, startCommand];

/**
 * Builds the grammY bot: per-update child logger, admin allowlist, one Composer per
 * command, an unknown-command catch-all, and an error boundary that logs and answers.
 */
export function createBot(deps: BotDeps): Bot<BotContext> {
  const bot = new Bot<BotContext>(deps.token, { client: { apiRoot: deps.apiRoot } });
  bot.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 10 }));

  bot.use(async (ctx, next) => {
    ctx.log = deps.logger.child({ update_id: ctx.update.update_id });
    await next();
  });
  bot.use(adminOnly(deps.adminIds));
  bot.use(createStartFeature());
  bot.use(createHelpFeature(COMMANDS));
  bot.use(createStatusFeature({ status: deps.status }));
  bot.use(createAcknowledgeFeature({ router: deps.router }));

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
    if (ctx.callbackQuery)
      await ctx.answerCallbackQuery({
        text: "Something went wrong; it has been logged.",
        show_alert: true,
      });
    else if (ctx.chat) await ctx.reply("Something went wrong handling that; it has been logged.");
  } catch {
    /* Telegram itself may be the problem */
  }
}

import type { Bot } from "grammy";
import type { Config } from "../config.ts";
import type { KeyCipher } from "../proxy/key-crypto.ts";
import { type BotLifecycle, createBotLifecycle } from "./bot-lifecycle.ts";
import type { BotContext } from "./context.ts";
import { type BotDeps, COMMANDS, createBot } from "./create-bot.ts";
import { createSecretInbox } from "./secret-input.ts";
import { createUpdateLedger } from "./update-ledger.ts";
import { type TelegramWebhookHandler, telegramWebhookHandler } from "./webhook-handler.ts";

/**
 * Dependencies of {@link createBotModule}: the services the bot's commands and buttons use
 * (see {@link BotDeps}), the Telegram settings, the key cipher (secrets typed into the chat are
 * sealed with it) and this replica's id (the update ledger: one replica handles an update).
 */
export type BotModuleDeps = Omit<
  BotDeps,
  "token" | "apiRoot" | "adminIds" | "timeZone" | "updates" | "secrets"
> & {
  config: Pick<Config, "telegram" | "reportTimezone">;
  cipher: KeyCipher;
  replicaId: string;
};

/** The Telegram bot and its lifecycle; both undefined when `TELEGRAM_BOT_TOKEN` is unset. */
export interface BotModule {
  bot: Bot<BotContext> | undefined;
  lifecycle: BotLifecycle | undefined;
  /**
   * The handler of `POST /telegram/webhook` with the secret it checks, in webhook mode
   * (`TELEGRAM_WEBHOOK_URL` and `TELEGRAM_WEBHOOK_SECRET` set); undefined otherwise.
   */
  webhook: { handler: TelegramWebhookHandler; secret: string } | undefined;
}

/** Builds the bot (src/bot/create-bot.ts) and its lifecycle (webhook or long polling). */
export function createBotModule(deps: BotModuleDeps): BotModule {
  const { config, cipher, replicaId, ...services } = deps;
  const token = config.telegram.token;
  if (!token) return { bot: undefined, lifecycle: undefined, webhook: undefined };
  const bot = createBot({
    ...services,
    token,
    apiRoot: config.telegram.apiRoot,
    adminIds: config.telegram.adminIds,
    timeZone: config.reportTimezone,
    updates: createUpdateLedger({ db: deps.db, replicaId }),
    secrets: createSecretInbox({ db: deps.db, cipher, clock: deps.clock }),
  });
  const lifecycle = createBotLifecycle({
    bot,
    commands: COMMANDS,
    webhookUrl: config.telegram.webhookUrl,
    webhookSecret: config.telegram.webhookSecret,
    logger: deps.logger,
    menuFor: {
      adminIds: config.telegram.adminIds,
      alertChatIds: deps.notifyRouter.chatIds(),
    },
  });
  const secret = config.telegram.webhookSecret;
  const webhook =
    config.telegram.webhookUrl && secret
      ? { handler: telegramWebhookHandler(bot, secret), secret }
      : undefined;
  return { bot, lifecycle, webhook };
}

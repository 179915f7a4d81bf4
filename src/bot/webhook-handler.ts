import type { FastifyReply, FastifyRequest } from "fastify";
import { type Bot, webhookCallback } from "grammy";
import type { BotContext } from "./context.ts";

/** A Fastify handler of Telegram's webhook POSTs (see src/http/routes/telegram-webhook.ts). */
export type TelegramWebhookHandler = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * grammY's webhook handler for `bot`: checks Telegram's `secret_token` header against
 * `secret` and answers Telegram as soon as the update is handled, or after grammY's 10 s
 * timeout (`onTimeout: "return"`), so a slow handler is not redelivered
 * (https://grammy.dev/guide/deployment-types#ending-webhook-requests-in-time).
 */
export function telegramWebhookHandler(
  bot: Bot<BotContext>,
  secret: string,
): TelegramWebhookHandler {
  return webhookCallback(bot, "fastify", { secretToken: secret, onTimeout: "return" });
}

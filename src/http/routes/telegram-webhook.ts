import type { IncomingHttpHeaders } from "node:http";
import type { FastifyInstance } from "fastify";
import type { TelegramWebhookHandler } from "../../bot/webhook-handler.ts";
import { safeEqual } from "../../proxy/key-crypto.ts";
import { type AuthRefusal, authenticate } from "../auth.ts";

/** Header Telegram sends with the `secret_token` given to setWebhook. */
export const SECRET_HEADER = "x-telegram-bot-api-secret-token";

/**
 * `POST /telegram/webhook` (webhook mode). An update without the registered secret in
 * {@link SECRET_HEADER} is refused 401 before its body is read (and counted by the auth
 * limiter), so nobody who merely reaches the port can act as an admin. `handler` (the bot's,
 * src/bot/webhook-handler.ts) checks the secret again and handles the update.
 */
export function registerTelegramWebhook(
  app: FastifyInstance,
  deps: { handler: TelegramWebhookHandler; secret: string },
): void {
  app.register(async (hook) => {
    hook.addHook(
      "onRequest",
      authenticate(
        {
          scope: "telegram_webhook",
          verify(req: { headers: IncomingHttpHeaders }): true | AuthRefusal {
            const given = req.headers[SECRET_HEADER];
            if (typeof given !== "string") return "missing";
            return safeEqual(given, deps.secret) ? true : "wrong";
          },
          body: (_status, _refusal, message) => ({ error: { message } }),
        },
        app.authLimiter,
      ),
    );
    hook.post("/telegram/webhook", deps.handler);
  });
}

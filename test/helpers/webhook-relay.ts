import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { TelegramServer } from "telegram-test-api/lib/telegramServer.js";

/** Header Telegram sends with the webhook's `secret_token`. */
const SECRET_HEADER = "x-telegram-bot-api-secret-token";

/** A running relay between the emulator and the app's webhook. */
export interface WebhookRelay {
  /** The URL to register as TELEGRAM_WEBHOOK_URL. */
  url: string;
  /** HTTP status of each update the app answered, in order (what Telegram would see). */
  statuses: number[];
  /**
   * Waits (at most `timeoutMs`) until every update the emulator posted has been answered.
   * The emulator posts updates without awaiting them (its client routes fire and forget), so
   * a post still in flight when the relay closes rejects unhandled in the test process.
   */
  settle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The `secret_token` the bot registered with the emulator's setWebhook for `botToken`
 * (the emulator keeps it but never sends it).
 */
export function registeredSecret(server: TelegramServer, botToken: string): string | undefined {
  const hooks = (server as unknown as { webhooks: Record<string, { secret_token?: string }> })
    .webhooks;
  return hooks[botToken]?.secret_token;
}

/**
 * Stands in for Telegram's webhook delivery, which the `telegram-test-api` emulator does
 * without the secret header: the emulator posts each update here, and the relay forwards it
 * to `target` with `X-Telegram-Bot-Api-Secret-Token: secret()` (no header when undefined),
 * answering the emulator with the app's status and body.
 */
export async function startWebhookRelay(opts: {
  target: string;
  secret: () => string | undefined;
}): Promise<WebhookRelay> {
  const statuses: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const secret = opts.secret();
      const done = fetch(opts.target, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(secret !== undefined && { [SECRET_HEADER]: secret }),
        },
        body: Buffer.concat(chunks),
      })
        .then(async (r) => {
          statuses.push(r.status);
          res.writeHead(r.status, { "content-type": "application/json" });
          res.end(await r.text());
        })
        .catch((err: unknown) => {
          res.writeHead(502);
          res.end(String(err));
        })
        .finally(() => inFlight.delete(done));
      inFlight.add(done);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/telegram/webhook`,
    statuses,
    async settle(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (inFlight.size > 0 && Date.now() < deadline) {
        await Promise.race([
          Promise.allSettled([...inFlight]),
          new Promise((r) => setTimeout(r, deadline - Date.now())),
        ]);
      }
    },
    stop: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

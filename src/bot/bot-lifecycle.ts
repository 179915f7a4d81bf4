import { type RunnerHandle, run } from "@grammyjs/runner";
import type { Bot } from "grammy";
import { coerceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { BotContext, CommandInfo } from "./context.ts";

/** Starts and stops the bot: long polling (runner) or webhook registration. */
export interface BotLifecycle {
  /**
   * Connects to the Bot API (getMe, setMyCommands, and setWebhook in webhook mode). Resolves
   * once connected or after `waitMs`; while the Bot API is unreachable it keeps retrying in
   * the background (1 s doubling to 60 s), so the rest of the process is never held up.
   */
  start(waitMs?: number): Promise<void>;
  /**
   * Long-polling mode: polls while `on` (the replica holding the `telegram` role polls, one
   * at a time, since Telegram serves one getUpdates caller per bot). Turning it on before
   * the bot connected starts polling once it has. No-op in webhook mode.
   */
  setPolling(on: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** The people the command menu is shown to: the admins, in their chats and the alert chats. */
export interface CommandMenuAudience {
  adminIds: readonly number[];
  /** Alert chats; group chats (negative ids) get the menu for each admin in them. */
  alertChatIds: readonly number[];
}

/**
 * Sets the command menu for the admins only (Bot API command scopes,
 * https://core.telegram.org/bots/api#botcommandscope): `BotCommandScopeChat` for each admin's
 * private chat (its id is the user's id) and `BotCommandScopeChatMember` for each admin in
 * each group alert chat; the default scope's list is deleted, so everyone else sees no menu
 * (the bot answers admins only). Throws the first failed call.
 */
export async function publishCommands(
  api: Pick<Bot<BotContext>["api"], "setMyCommands" | "deleteMyCommands">,
  commands: readonly CommandInfo[],
  audience: CommandMenuAudience,
): Promise<void> {
  const list = commands.map((c) => ({ command: c.command, description: c.description }));
  await api.deleteMyCommands();
  for (const id of audience.adminIds)
    await api.setMyCommands(list, { scope: { type: "chat", chat_id: id } });
  for (const chat of audience.alertChatIds) {
    if (chat >= 0) continue;
    for (const id of audience.adminIds)
      await api.setMyCommands(list, { scope: { type: "chat_member", chat_id: chat, user_id: id } });
  }
}

/** Builds the lifecycle for `bot`. `webhookUrl` set → webhook mode, else long polling. */
export function createBotLifecycle(deps: {
  bot: Bot<BotContext>;
  commands: readonly CommandInfo[];
  webhookUrl: string | undefined;
  webhookSecret: string | undefined;
  logger: Logger;
  /** Who sees the command menu (see {@link publishCommands}). */
  menuFor: CommandMenuAudience;
}): BotLifecycle {
  const { bot, logger } = deps;
  let runner: RunnerHandle | undefined;
  let stopped = false;
  let connected = false;
  let polling = false;
  let wake: (() => void) | undefined;
  /** Aborts grammY's own getMe retries (it retries network errors for ever) on stop. */
  const halt = new AbortController();

  function runPolling(): void {
    if (deps.webhookUrl || !connected || !polling || stopped || runner?.isRunning()) return;
    runner = run(bot, { runner: { fetch: { allowed_updates: ["message", "callback_query"] } } });
    logger.info({ bot: bot.botInfo.username }, "bot on (long polling)");
  }

  async function connect(): Promise<void> {
    // grammY types this parameter with the `abort-controller` package's AbortSignal (its
    // Node shim), which Node's own AbortSignal matches at run time but not in TypeScript.
    await bot.init(halt.signal as Parameters<typeof bot.init>[0]);
    try {
      await publishCommands(bot.api, deps.commands, deps.menuFor);
    } catch (err) {
      logger.warn({ err: coerceError(err).message }, "setMyCommands failed (non-fatal)");
    }
    if (deps.webhookUrl) {
      await bot.api.setWebhook(deps.webhookUrl, {
        secret_token: deps.webhookSecret,
        allowed_updates: ["message", "callback_query"],
      });
      logger.info({ url: deps.webhookUrl }, "bot on (webhook mode)");
    } else if (!polling) {
      logger.info("bot connected; it polls while this replica holds the telegram role");
    }
    connected = true;
    runPolling();
  }

  async function connectWithRetry(): Promise<void> {
    for (let delayMs = 1000; !stopped; delayMs = Math.min(60_000, delayMs * 2)) {
      try {
        await connect();
        return;
      } catch (err) {
        if (stopped) return;
        logger.error(
          { err: coerceError(err).message, retryInMs: delayMs },
          "bot could not reach the Bot API; retrying",
        );
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delayMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    }
  }

  return {
    async start(waitMs = 5000) {
      const connected = connectWithRetry();
      await Promise.race([connected, new Promise((r) => setTimeout(r, waitMs).unref())]);
    },
    async setPolling(on: boolean) {
      polling = on;
      if (on) return runPolling();
      if (runner?.isRunning()) {
        await runner.stop();
        logger.info("long polling stopped (another replica polls)");
      }
    },
    async stop() {
      stopped = true;
      halt.abort();
      wake?.();
      if (runner?.isRunning()) await runner.stop();
    },
  };
}

import type { DeliveryRow } from "../../db/schema/index.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { Clock } from "../types.ts";
import type { OutboxRepository } from "./outbox-repository.ts";
import { classifySendError, type SendFailure, type TelegramSender } from "./telegram-sender.ts";

/**
 * Worker-wide hold on sending: Telegram's 429 `retry_after`, or an outage backoff while the
 * Bot API does not answer. `until` is a time in ms by the worker's clock.
 */
export interface SendHold {
  until: number;
  /** Consecutive unreachable answers; the outage backoff doubles with each. */
  outages: number;
}

/** Dependencies of {@link createDeliveryHandler}. */
export interface DeliveryHandlerDeps {
  repo: OutboxRepository;
  sender: TelegramSender;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  maxAttempts: number;
  hold: SendHold;
}

/** Exponential backoff with jitter: base 1 s · 2^n capped at `capMs`, drawn from [½, 1]. */
export function backoffMs(n: number, capMs: number): number {
  const base = Math.min(capMs, 1000 * 2 ** n);
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/**
 * Sends one claimed delivery and settles its row (docs/operations.md, Hostile input and Telegram's limits):
 * sent; "message is not modified" as sent; 429 → the whole worker holds until `retry_after`
 * and the row waits without using an attempt; unreachable → an outage hold (1 s doubling to
 * 60 s) that uses no attempt either, so what accumulates is sent once Telegram answers again;
 * 5xx and unknown errors → backoff with jitter, dead after `maxAttempts`; permanent errors →
 * dead at once; `migrate_to_chat_id` → followed and remembered.
 */
export function createDeliveryHandler(deps: DeliveryHandlerDeps) {
  const { repo, sender, clock, metrics, hold } = deps;
  const now = () => clock.now();

  async function deliver(row: DeliveryRow): Promise<number | null | "later" | "orphan"> {
    if (row.kind === "send") {
      return sender.send({
        chatId: row.chatId,
        threadId: row.threadId,
        text: row.text,
        keyboard: row.replyMarkup ?? null,
        disableNotification: row.disableNotification,
      });
    }
    const target = row.targetId ? await repo.get(row.targetId) : undefined;
    if (!target || target.status === "dead" || target.status === "superseded") return "orphan";
    if (target.telegramMessageId === null) return "later";
    await sender.edit({
      chatId: target.chatId,
      messageId: target.telegramMessageId,
      text: row.text,
      keyboard: row.replyMarkup ?? null,
    });
    return target.telegramMessageId;
  }

  async function settleFailure(row: DeliveryRow, f: SendFailure, log: Logger): Promise<void> {
    const t = now().getTime();
    switch (f.kind) {
      case "not_modified":
        await repo.markSent(row, null, now());
        return;
      case "rate_limited": {
        hold.until = Math.max(hold.until, t + f.retryAfterS * 1000);
        await repo.retryLater(row, new Date(hold.until), f.description, { countAttempt: false });
        metrics.deliveries.inc({ result: "retried" });
        log.warn({ retryAfterS: f.retryAfterS }, "telegram rate limit; sending held");
        return;
      }
      case "unreachable": {
        hold.until = Math.max(hold.until, t + backoffMs(hold.outages, 60_000));
        hold.outages++;
        await repo.retryLater(row, new Date(hold.until), f.description, { countAttempt: false });
        metrics.deliveries.inc({ result: "retried" });
        log.warn({ error: f.description, retryAt: new Date(hold.until) }, "Bot API unreachable");
        return;
      }
      case "migrated":
        await repo.migrateChat(row.chatId, f.toChatId, now());
        await repo.retryLater(row, now(), f.description, { countAttempt: false });
        log.info({ to: f.toChatId }, "chat migrated to a supergroup");
        return;
      case "permanent":
        return dead(row, f.description, log);
      case "transient": {
        if (row.attempts + 1 >= deps.maxAttempts) return dead(row, f.description, log);
        const at = new Date(t + backoffMs(row.attempts, 300_000));
        await repo.retryLater(row, at, f.description, { countAttempt: true });
        metrics.deliveries.inc({ result: "retried" });
        log.warn({ error: f.description, retryAt: at }, "delivery failed; will retry");
      }
    }
  }

  async function dead(row: DeliveryRow, error: string, log: Logger): Promise<void> {
    await repo.markDead(row, error);
    metrics.deliveries.inc({ result: "dead" });
    log.error({ error, attempts: row.attempts + 1 }, "delivery dead");
  }

  /** Sends `row` (claimed by this worker) and records the result on its row. */
  return async function handle(row: DeliveryRow): Promise<void> {
    const log = deps.logger.child({ delivery: row.id, kind: row.kind, chat: row.chatId });
    if (now().getTime() < hold.until) {
      await repo.retryLater(row, new Date(hold.until), row.lastError, { countAttempt: false });
      return;
    }
    try {
      const result = await deliver(row);
      hold.outages = 0;
      if (result === "orphan") return dead(row, "the message to edit was never sent", log);
      if (result === "later") {
        const at = new Date(now().getTime() + 1000);
        await repo.retryLater(row, at, "waiting for the message to be sent", {
          countAttempt: false,
        });
        return;
      }
      if (!(await repo.markSent(row, result, now()))) {
        log.warn("sent after its claim ran out; the row is another worker's now");
        return;
      }
      metrics.deliveries.inc({ result: "sent" });
      metrics.deliveryLatency.observe((now().getTime() - row.createdAt.getTime()) / 1000);
    } catch (err) {
      const failure = classifySendError(err);
      if (failure.kind !== "unreachable") hold.outages = 0;
      await settleFailure(row, failure, log);
    }
  };
}

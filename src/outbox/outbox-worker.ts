import { setTimeout as sleep } from "node:timers/promises";
import type { DeliveryRow } from "../../db/schema/index.ts";
import { coerceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { Clock } from "../types.ts";
import type { OutboxRepository } from "./outbox-repository.ts";
import { createPacer } from "./pacer.ts";
import { classifySendError, type TelegramSender } from "./telegram-sender.ts";

/** Dependencies and tuning of {@link createOutboxWorker}. */
export interface OutboxWorkerDeps {
  repo: OutboxRepository;
  sender: TelegramSender;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Identifies this process in `locked_by`. */
  workerId: string;
  /** Attempts (network errors, 5xx) before a delivery is dead. */
  maxAttempts: number;
  /** A claim lasts this long (ms, default 30 000); then another worker may take the row. */
  leaseMs?: number;
  /** Idle poll interval (ms, default 1000); {@link OutboxWorker.kick} wakes it sooner. */
  pollMs?: number;
}

/** The loop that drains the outbox into Telegram. */
export interface OutboxWorker {
  start(): void;
  /** Stops after the delivery in hand; resolves when the loop has ended. */
  stop(): Promise<void>;
  /** Wakes the loop now (called after deliveries are queued). */
  kick(): void;
  /** Claims and processes what is due once; returns how many rows it handled. For tests. */
  drainOnce(): Promise<number>;
}

const BATCH = 20;

/**
 * Builds the outbox worker (DESIGN.md, Outbox): paced sends (1/s per chat, 25/s overall),
 * 429 `retry_after` honoured, exponential backoff with jitter on network errors and 5xx,
 * permanent errors dead at once, `migrate_to_chat_id` followed.
 */
export function createOutboxWorker(deps: OutboxWorkerDeps): OutboxWorker {
  const { repo, sender, clock, logger, metrics } = deps;
  const leaseMs = deps.leaseMs ?? 30_000;
  const pollMs = deps.pollMs ?? 1000;
  const pacer = createPacer();
  let pausedUntil = 0;
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let kicked = false;

  const backoffMs = (attempts: number) => {
    const base = Math.min(300_000, 1000 * 2 ** attempts);
    return Math.round(base / 2 + Math.random() * (base / 2));
  };

  async function deliver(row: DeliveryRow): Promise<number | null | "later"> {
    if (row.kind === "send") {
      return sender.send({
        chatId: row.chatId,
        text: row.text,
        keyboard: row.replyMarkup ?? null,
        disableNotification: row.disableNotification,
      });
    }
    const target = row.targetId ? await repo.get(row.targetId) : undefined;
    if (!target || target.status === "dead") throw new Error("edited message was never sent");
    if (target.telegramMessageId === null) return "later";
    await sender.edit({
      chatId: target.chatId,
      messageId: target.telegramMessageId,
      text: row.text,
      keyboard: row.replyMarkup ?? null,
    });
    return target.telegramMessageId;
  }

  async function handle(row: DeliveryRow): Promise<void> {
    const log = logger.child({ delivery: row.id, kind: row.kind, chat: row.chatId });
    const now = () => clock.now();
    if (now().getTime() < pausedUntil) {
      // Telegram asked us to hold off (429): everything waits until retry_after has passed.
      await repo.retryLater(row.id, new Date(pausedUntil), row.lastError, { countAttempt: false });
      return;
    }
    const wait = pacer.waitFor(row.chatId, Date.now());
    if (wait > 0) await sleep(wait);
    try {
      const result = await deliver(row);
      pacer.record(row.chatId, Date.now());
      if (result === "later") {
        await repo.retryLater(
          row.id,
          new Date(now().getTime() + 1000),
          "waiting for the message to be sent",
          {
            countAttempt: false,
          },
        );
        return;
      }
      await repo.markSent(row.id, result, now());
      metrics.deliveries.inc({ result: "sent" });
      metrics.deliveryLatency.observe((now().getTime() - row.createdAt.getTime()) / 1000);
    } catch (err) {
      pacer.record(row.chatId, Date.now());
      const failure = classifySendError(err);
      switch (failure.kind) {
        case "not_modified":
          await repo.markSent(row.id, null, now());
          return;
        case "rate_limited": {
          const until = now().getTime() + failure.retryAfterS * 1000;
          pausedUntil = Math.max(pausedUntil, until);
          await repo.retryLater(row.id, new Date(until), failure.description, {
            countAttempt: false,
          });
          metrics.deliveries.inc({ result: "retried" });
          log.warn({ retryAfterS: failure.retryAfterS }, "telegram rate limit; delivery postponed");
          return;
        }
        case "migrated":
          await repo.migrateChat(row.chatId, failure.toChatId);
          await repo.retryLater(row.id, now(), failure.description, { countAttempt: false });
          log.info({ to: failure.toChatId }, "chat migrated to a supergroup");
          return;
        case "permanent":
          await repo.markDead(row.id, failure.description);
          metrics.deliveries.inc({ result: "dead" });
          log.error({ error: failure.description }, "delivery dead (permanent error)");
          return;
        case "transient": {
          if (row.attempts + 1 >= deps.maxAttempts) {
            await repo.markDead(row.id, failure.description);
            metrics.deliveries.inc({ result: "dead" });
            log.error(
              { error: failure.description, attempts: row.attempts + 1 },
              "delivery dead (attempts exhausted)",
            );
            return;
          }
          const at = new Date(now().getTime() + backoffMs(row.attempts));
          await repo.retryLater(row.id, at, failure.description, { countAttempt: true });
          metrics.deliveries.inc({ result: "retried" });
          log.warn({ error: failure.description, retryAt: at }, "delivery failed; will retry");
        }
      }
    }
  }

  async function drainOnce(): Promise<number> {
    const rows = await repo.claim(deps.workerId, clock.now(), leaseMs, BATCH);
    for (const row of rows) {
      if (!running && loop) break; // stopping: unhandled claims return after their lease
      await handle(row);
    }
    return rows.length;
  }

  async function run(): Promise<void> {
    while (running) {
      let handled = 0;
      try {
        handled = await drainOnce();
      } catch (err) {
        logger.error({ err: coerceError(err) }, "outbox worker iteration failed");
      }
      if (handled > 0 || !running) continue;
      if (kicked) {
        kicked = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
      kicked = false;
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      loop = undefined;
    },
    kick() {
      kicked = true;
      wake?.();
    },
    drainOnce,
  };
}

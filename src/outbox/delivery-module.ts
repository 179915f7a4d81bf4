import type { Db } from "../../db/client.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { Clock } from "../types.ts";
import { createOutboxRepository, type OutboxRepository } from "./outbox-repository.ts";
import { createOutboxWorker, type OutboxWorker } from "./outbox-worker.ts";
import { createPacer, type Pacer, type PacingOptions } from "./pacer.ts";
import { createTelegramSender, sendTimeoutMs, type TelegramSender } from "./telegram-sender.ts";

/** Dependencies of {@link createDeliveryModule}. */
export interface DeliveryModuleDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** This replica's id: the worker's claims carry it. */
  workerId: string;
  /** Bot token; without it (and without `sender`) nothing is sent and rows stay queued. */
  token: string | undefined;
  apiRoot: string;
  /** Replaces the Bot API sender (fault tests). */
  sender?: TelegramSender;
  /** Claim lease, ms. */
  leaseMs: number;
  maxAttempts: number;
  /** Pacing (default Telegram's 1/s per chat, 25/s overall). */
  pacing?: PacingOptions;
}

/** The outbox and what drains it (docs/architecture.md, the outbox). */
export interface DeliveryModule {
  outbox: OutboxRepository;
  /** One pacer per process for every send to Telegram: the outbox and the bot's own replies. */
  pacer: Pacer;
  /** Undefined while there is no sender (no bot token). */
  worker: OutboxWorker | undefined;
  /** Wakes the worker after rows were queued (a no-op without a worker). */
  onQueued(): void;
}

/** Builds the outbox repository, the pacer and, when there is a sender, the outbox worker. */
export function createDeliveryModule(deps: DeliveryModuleDeps): DeliveryModule {
  const outbox = createOutboxRepository(deps.db);
  const pacer = createPacer(deps.pacing);
  const sender =
    deps.sender ??
    (deps.token
      ? createTelegramSender({
          token: deps.token,
          apiRoot: deps.apiRoot,
          timeoutMs: sendTimeoutMs(deps.leaseMs),
        })
      : undefined);
  const worker = sender
    ? createOutboxWorker({
        repo: outbox,
        sender,
        clock: deps.clock,
        logger: deps.logger.child({ component: "outbox" }),
        metrics: deps.metrics,
        workerId: deps.workerId,
        maxAttempts: deps.maxAttempts,
        leaseMs: deps.leaseMs,
        pacer,
      })
    : undefined;
  return { outbox, pacer, worker, onQueued: () => worker?.kick() };
}

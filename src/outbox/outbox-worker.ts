import { setTimeout as sleep } from "node:timers/promises";
import type { DeliveryRow } from "../../db/schema/index.ts";
import { coerceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { Clock } from "../types.ts";
import { createDeliveryHandler, type SendHold } from "./delivery-handler.ts";
import type { OutboxRepository } from "./outbox-repository.ts";
import { createPacer, type Pacer, type PacingOptions } from "./pacer.ts";
import { sendTimeoutMs, type TelegramSender } from "./telegram-sender.ts";

/** Dependencies and tuning of {@link createOutboxWorker}. */
export interface OutboxWorkerDeps {
  repo: OutboxRepository;
  sender: TelegramSender;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Identifies this process in `locked_by`. */
  workerId: string;
  /** Attempts (5xx, unknown errors) before a delivery is dead. */
  maxAttempts: number;
  /** A claim lasts this long (ms, default 30 000); then another worker may take the row. */
  leaseMs?: number;
  /** Idle poll interval (ms, default 1000); {@link OutboxWorker.kick} wakes it sooner. */
  pollMs?: number;
  /** Pacing limits (default 1 message/s per chat, 20/min per group, 25/s overall). */
  pacing?: PacingOptions;
  /** A pacer shared with the bot's own replies (default: one of its own from `pacing`). */
  pacer?: Pacer;
  /** The sender's timeout (ms, default {@link sendTimeoutMs}(leaseMs)). */
  sendTimeoutMs?: number;
}

/** The loop that drains the outbox into Telegram. */
export interface OutboxWorker {
  start(): void;
  /**
   * Stops: claims not yet being sent are released at once; lanes finish the delivery in
   * hand, then anything left is released.
   */
  stop(): Promise<void>;
  /** Wakes the loop now (called after deliveries are queued). */
  kick(): void;
  /** Claims and processes what is due once, waiting for pacing; returns rows claimed. */
  drainOnce(): Promise<number>;
}

const BATCH = 25;
/** Rows of one chat per claim: about three seconds of its 1/s pace, far inside the lease. */
const PER_CHAT = 3;

/**
 * Builds the outbox worker (docs/architecture.md, The path of an alert). Each claim takes at most {@link PER_CHAT}
 * rows per chat and skips chats that are still paced or busy; the rows of each chat run in
 * their own lane (sequential within the chat, chats in parallel), so one busy chat never
 * delays the others. Slots come from a shared pacer (1/s per chat, 20/min per group, 25/s
 * overall) that runs
 * on the wall clock, since Telegram's limits are real time; holds (429, outage) and leases
 * use the injected clock. See
 * {@link createDeliveryHandler} for how each answer from Telegram is settled.
 */
export function createOutboxWorker(deps: OutboxWorkerDeps): OutboxWorker {
  const { repo, clock, logger } = deps;
  const leaseMs = deps.leaseMs ?? 30_000;
  const pollMs = deps.pollMs ?? 1000;
  const callMs = deps.sendTimeoutMs ?? sendTimeoutMs(leaseMs);
  const pacer = deps.pacer ?? createPacer(deps.pacing);
  const hold: SendHold = { until: 0, outages: 0 };
  const handle = createDeliveryHandler({ ...deps, hold });
  const lanes = new Map<number, Promise<void>>();
  const held = new Set<string>();
  /** Claimed rows whose send has started (they cannot be released: they may be sent). */
  const inFlight = new Set<string>();
  let stopping = new AbortController();
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let kicked = false;

  /**
   * True when the claim on `row` still has room for a whole Bot API call (its timeout plus
   * a second to settle): a row whose lease would run out mid-call is released instead, so
   * no other worker can claim it while this one may still be sending it.
   */
  function leaseLeft(row: DeliveryRow): boolean {
    const until = row.lockedUntil?.getTime() ?? 0;
    return until - clock.now().getTime() >= callMs + 1000;
  }

  async function runLane(rows: DeliveryRow[]): Promise<void> {
    for (const row of rows) {
      if (stopping.signal.aborted) return;
      const wait = pacer.reserve(row.chatId, Date.now());
      if (wait > 0) await sleep(wait, undefined, { signal: stopping.signal }).catch(() => {});
      if (stopping.signal.aborted) return;
      if (!leaseLeft(row)) {
        await repo
          .release([row.id], deps.workerId)
          .catch((err) => logger.error({ err: coerceError(err) }, "releasing a claim failed"));
        held.delete(row.id);
        continue;
      }
      inFlight.add(row.id);
      try {
        await handle(row);
      } catch (err) {
        logger.error({ err: coerceError(err), delivery: row.id }, "delivery handling failed");
      }
      inFlight.delete(row.id);
      held.delete(row.id);
    }
  }

  function startLanes(rows: DeliveryRow[]): Promise<void>[] {
    const byChat = new Map<number, DeliveryRow[]>();
    for (const row of rows) {
      held.add(row.id);
      byChat.set(row.chatId, [...(byChat.get(row.chatId) ?? []), row]);
    }
    return [...byChat].map(([chat, chatRows]) => {
      const lane = runLane(chatRows).finally(() => {
        lanes.delete(chat);
        wake?.();
      });
      lanes.set(chat, lane);
      return lane;
    });
  }

  /** One claim that excludes paced and busy chats; lanes run on without being awaited. */
  async function dispatch(): Promise<number> {
    if (clock.now().getTime() < hold.until) return 0;
    const exclude = [...new Set([...lanes.keys(), ...pacer.busyChats(Date.now())])];
    const rows = await repo.claim({
      workerId: deps.workerId,
      now: clock.now(),
      leaseMs,
      limit: BATCH,
      perChat: PER_CHAT,
      excludeChats: exclude,
    });
    startLanes(rows);
    return rows.length;
  }

  function idleMs(): number {
    const holdLeft = hold.until - clock.now().getTime();
    const paced = pacer.nextFreeInMs(Date.now());
    return Math.max(10, Math.min(pollMs, paced, holdLeft > 0 ? holdLeft : pollMs));
  }

  async function run(): Promise<void> {
    while (running) {
      let claimed = 0;
      try {
        claimed = await dispatch();
      } catch (err) {
        logger.error({ err: coerceError(err) }, "outbox worker iteration failed");
      }
      if (!running) break;
      if (claimed > 0) continue;
      if (kicked) {
        kicked = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, idleMs());
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      stopping = new AbortController();
      loop = run();
    },
    async stop() {
      running = false;
      stopping.abort();
      wake?.();
      await loop;
      // Claims not yet in a send go back at once, before waiting for the sends in hand.
      const waiting = [...held].filter((id) => !inFlight.has(id));
      await repo.release(waiting, deps.workerId);
      for (const id of waiting) held.delete(id);
      await Promise.all(lanes.values());
      await repo.release([...held], deps.workerId);
      held.clear();
      loop = undefined;
    },
    kick() {
      kicked = true;
      wake?.();
    },
    async drainOnce() {
      const rows = await repo.claim({
        workerId: deps.workerId,
        now: clock.now(),
        leaseMs,
        limit: BATCH,
      });
      await Promise.all(startLanes(rows));
      return rows.length;
    },
  };
}

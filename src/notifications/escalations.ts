import type { Db } from "../../db/client.ts";
import { coerceError } from "../errors.ts";
import type { AlertNotifier } from "../events/alert-notifier.ts";
import type { AlertRepository } from "../events/alert-repository.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "../types.ts";
import type { EscalationStore } from "./escalation-store.ts";
import type { NotificationRouter } from "./notification-router.ts";

/** Dependencies of {@link createEscalations}. */
export interface EscalationsDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  store: EscalationStore;
  alerts: Pick<AlertRepository, "getForUpdate" | "update">;
  notifier: Pick<AlertNotifier, "escalate" | "renotify">;
  router: Pick<NotificationRouter, "receiverChats">;
  /** Wakes the outbox worker after a tick queued messages. */
  onQueued: () => void;
  /** Milliseconds between ticks (`NOTIFY_TICK_S`). */
  tickMs: number;
}

/** What one tick did. */
export interface TickResult {
  escalated: number;
  repeated: number;
  /** Timers dropped: the alert was acknowledged, resolved or is gone. */
  stopped: number;
}

/** Escalation and repeat of unacknowledged alerts, one {@link Escalations.tick} at a time. */
export type Escalations = ReturnType<typeof createEscalations>;

/**
 * Builds the escalation runner (docs/operations.md, Routes). Each tick reads the timers due
 * by the injected clock from the `escalations` table and, per alert in its own transaction
 * (the row locked, skipped when another replica holds it):
 * - an alert acknowledged, resolved, muted from its buttons, or gone → its timers are deleted
 *   (nothing more is sent);
 * - an escalation step due → a copy of the alert message with the same buttons goes to the
 *   step's receiver, and every copy is redrawn noting "Escalated to <receiver> at HH:MM";
 * - a repeat due → the alert is re-announced (the previous messages lose their buttons, as a
 *   re-notification after the dedup window does), and the next repeat is armed.
 * The timers live in the database, so a restart loses none; only the replica holding the
 * `escalation` role runs the ticks ({@link Escalations.setRunning}).
 */
export function createEscalations(deps: EscalationsDeps) {
  const { db, clock, store } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function handle(alertId: string, tally: TickResult): Promise<void> {
    await db.transaction(async (tx) => {
      const row = await store.lock(alertId, tx);
      if (!row) return;
      const now = clock.now();
      const alert = await deps.alerts.getForUpdate(alertId, tx);
      // Acknowledged, resolved, or muted from its message's buttons: someone decided.
      if (alert?.status !== "firing" || alert.acknowledgedAt || alert.muteId) {
        await store.stop(alertId, tx);
        tally.stopped++;
        return;
      }
      let current = alert;
      if (row.escalateAt && row.escalateAt <= now) {
        const step = row.steps[row.nextStep];
        if (step) {
          row.escalated = [...row.escalated, { receiver: step.receiver, at: now.toISOString() }];
          const next = row.steps[row.nextStep + 1];
          row.nextStep++;
          row.escalateAt = next ? new Date(row.createdAt.getTime() + next.afterMs) : null;
          await store.save(row, tx);
          const chats = deps.router.receiverChats(step.receiver);
          await deps.notifier.escalate(current, chats, row.nextStep - 1, tx);
          tally.escalated++;
        } else {
          row.escalateAt = null;
          await store.save(row, tx);
        }
      }
      if (row.repeatAt && row.repeatAt <= now && row.repeatIntervalS) {
        current = await deps.alerts.update(
          alertId,
          { lastNotifiedAt: now, notifications: current.notifications + 1 },
          tx,
        );
        // renotify → announce arms the next repeat (now + interval).
        await deps.notifier.renotify(current, tx);
        tally.repeated++;
      }
    });
  }

  const service = {
    /**
     * One pass over the timers due now. Returns what it did; a failure for one alert is
     * logged and retried at the next tick.
     */
    async tick(): Promise<TickResult> {
      const tally: TickResult = { escalated: 0, repeated: 0, stopped: 0 };
      for (const alertId of await store.due(clock.now())) {
        try {
          await handle(alertId, tally);
        } catch (err) {
          deps.logger.error(
            { alert: alertId, err: coerceError(err).message },
            "escalation failed; retried next tick",
          );
        }
      }
      if (tally.escalated + tally.repeated > 0) deps.onQueued();
      return tally;
    },

    /** Starts (true) or stops (false) the periodic ticks: on while holding the role. */
    async setRunning(on: boolean): Promise<void> {
      if (on && !timer) {
        const run = () => {
          running ??= service
            .tick()
            .catch((err: unknown) =>
              deps.logger.error({ err: coerceError(err).message }, "escalation tick failed"),
            )
            .finally(() => {
              running = undefined;
            });
        };
        timer = setInterval(run, deps.tickMs);
        timer.unref();
        run();
      } else if (!on && timer) {
        clearInterval(timer);
        timer = undefined;
        await running;
      }
    },
  };
  return service;
}

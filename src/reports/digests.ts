import type { Notification } from "../notifications/notification.ts";
import { type ChatTarget, toTarget } from "../notifications/notification-router.ts";
import type { Publisher } from "../notifications/publisher.ts";
import { distribute } from "../smoke/smoke-stats.ts";
import type { SmokeStore } from "../smoke/smoke-store.ts";
import type { Clock } from "../types.ts";
import type { ReportSource } from "./report-source.ts";
import type { ReportData, ReportKind } from "./report-types.ts";

/**
 * Where a digest goes: the chats, and the base of its outbox dedup keys. The key of each
 * message is `<dedupBase>:<chatId>`; a scheduled digest's base carries its period
 * (`digest:daily:2026-11-23`), so queuing the same period again sends nothing new.
 */
export interface DigestTarget {
  /** Chat ids, or chats with a forum topic (routes, src/notifications). */
  chatIds: readonly (number | ChatTarget)[];
  dedupBase: string;
}

/** Dependencies of {@link createDigests}. */
export interface DigestDeps {
  /** Renders the notification and queues its deliveries (src/notifications/publisher.ts). */
  publisher: Publisher;
  clock: Clock;
  reports: Pick<ReportSource, "build">;
  smoke: Pick<SmokeStore, "between">;
  timeZone: string;
  /** Wakes the outbox worker after queuing. */
  onQueued: () => void;
  /**
   * A short model-written summary of a report's data (src/triage/report-summary.ts), or
   * undefined when no model answered: the report is sent without one.
   */
  summarize?: (d: ReportData) => Promise<string | undefined>;
}

const DAY_MS = 86_400_000;

/**
 * Builds digests as typed notifications (kinds `digest` and `smoke_summary`) and publishes
 * them: every message goes through the outbox (paced, retried, durable), sent silently.
 */
export type Digests = ReturnType<typeof createDigests>;

/** Builds the digest sender: reports and the smoke summary. */
export function createDigests(deps: DigestDeps) {
  /** Publishes `n` to the target's chats; returns the rendered text. */
  async function queue(n: Notification, target: DigestTarget): Promise<string> {
    const chats = target.chatIds.map(toTarget);
    const msg = await deps.publisher.publish(n, {
      chats,
      dedupBase: target.dedupBase,
      silent: true,
    });
    if (chats.length > 0) deps.onQueued();
    return msg.text;
  }

  return {
    /**
     * Queues the daily or weekly report whose window ends at `to`, opened by the model's
     * summary when one answers (at most `TRIAGE_TIMEOUT_S` later). Returns the text.
     */
    async report(kind: ReportKind, to: Date, target: DigestTarget): Promise<string> {
      const data = await deps.reports.build(kind, to);
      const summary = await deps.summarize?.(data);
      return queue({ kind: "digest", report: { ...data, summary } }, target);
    },

    /** Queues the smoke summary of the 24 h before `to` (scheduled daily at 09:10). */
    async smokeSummary(to: Date, target: DigestTarget): Promise<string> {
      const from = new Date(to.getTime() - DAY_MS);
      const runs = await deps.smoke.between(from, to);
      return queue(
        {
          kind: "smoke_summary",
          distribution: distribute(runs),
          window: { from, to },
          latest: runs.at(-1),
          timeZone: deps.timeZone,
        },
        target,
      );
    },
  };
}

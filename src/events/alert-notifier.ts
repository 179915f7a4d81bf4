import { eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.ts";
import { type AlertRow, type MuteRow, mutes } from "../../db/schema/index.ts";
import type { IncidentService } from "../incidents/incident-service.ts";
import type { OutboxRepository } from "../outbox/outbox-repository.ts";
import type { TriageView } from "../triage/triage-section.ts";
import type { Clock } from "../types.ts";
import { type AlertView, renderAlert } from "./alert-message.ts";

/** Dependencies of {@link createAlertNotifier}. */
export interface AlertNotifierDeps {
  clock: Clock;
  outbox: OutboxRepository;
  incidents: IncidentService;
  /** Chats that receive alerts (`TELEGRAM_ALERT_CHAT_IDS`). */
  alertChatIds: () => readonly number[];
  timeZone: string;
  /**
   * The name of the plan template (`HEAL_TEMPLATES`) that applies to an alert with
   * `labels`, or undefined; when one does, the message offers "Propose fix".
   */
  planTemplateFor?: (labels: Readonly<Record<string, string>>) => string | undefined;
  /** The latest triage of an alert (src/triage), shown as a section of its message. */
  triageFor?: (alertId: string, tx: DbOrTx) => Promise<TriageView | undefined>;
  /** {@link triageFor} of many alerts in one read, keyed by alert id (batched variants). */
  triagesFor?: (alertIds: string[], tx: DbOrTx) => Promise<Map<string, TriageView>>;
}

/** The outbox subject of an alert's live message(s). */
export const alertSubject = (alertId: string) => `alert:${alertId}`;

/**
 * Turns alert changes into deliveries: the first message, edits in place, and the
 * re-notification that retires the previous message (see ./routing.ts, renotifyDue). Every method
 * writes through the caller's transaction.
 */
export type AlertNotifier = ReturnType<typeof createAlertNotifier>;

/** Builds the alert notifier. */
export function createAlertNotifier(deps: AlertNotifierDeps) {
  const { outbox, incidents, clock } = deps;

  async function view(alert: AlertRow, tx: DbOrTx) {
    const incident = alert.incidentId
      ? ((await incidents.get(alert.incidentId, tx)) ?? null)
      : null;
    let mute: MuteRow | null = null;
    if (alert.muteId) {
      const [row] = await tx.select().from(mutes).where(eq(mutes.id, alert.muteId));
      mute = row ?? null;
    }
    const proposeFix = deps.planTemplateFor?.(alert.labels) !== undefined;
    const triage = (await deps.triageFor?.(alert.id, tx)) ?? null;
    return { alert, incident, mute, timeZone: deps.timeZone, now: clock.now(), proposeFix, triage };
  }

  /**
   * {@link view} of many alerts (keep the two alike) with one read per kind of fact
   * (incidents, mutes, triages) instead of one per alert.
   */
  async function viewMany(list: AlertRow[], tx: DbOrTx) {
    const incidentIds = [...new Set(list.flatMap((a) => (a.incidentId ? [a.incidentId] : [])))];
    const muteIds = [...new Set(list.flatMap((a) => (a.muteId ? [a.muteId] : [])))];
    // Independent reads, sent together (one round trip where the driver pipelines).
    const [incidentRows, muteRows, triages] = await Promise.all([
      incidentIds.length > 0 ? incidents.getMany(incidentIds, tx) : [],
      muteIds.length > 0 ? tx.select().from(mutes).where(inArray(mutes.id, muteIds)) : [],
      deps.triagesFor?.(
        list.map((a) => a.id),
        tx,
      ) ?? new Map<string, TriageView>(),
    ]);
    const byIncident = new Map(incidentRows.map((i) => [i.id, i]));
    const byMute = new Map(muteRows.map((m) => [m.id, m]));
    const now = clock.now();
    // Required<…>: a field added to AlertView must be filled here too, or this fails to
    // compile (the batched views stay equal to those of view()).
    const views: Required<AlertView>[] = [];
    for (const alert of list) {
      const triage = deps.triagesFor
        ? (triages.get(alert.id) ?? null)
        : ((await deps.triageFor?.(alert.id, tx)) ?? null);
      views.push({
        alert,
        incident: alert.incidentId ? (byIncident.get(alert.incidentId) ?? null) : null,
        mute: alert.muteId ? (byMute.get(alert.muteId) ?? null) : null,
        timeZone: deps.timeZone,
        now,
        retired: false,
        proposeFix: deps.planTemplateFor?.(alert.labels) !== undefined,
        triage,
      });
    }
    return views;
  }

  /** The new message about `alert` to one chat, as {@link announce} queues it (keep alike). */
  function announcement(alert: AlertRow, msg: ReturnType<typeof renderAlert>, chatId: number) {
    return {
      chatId,
      text: msg.text,
      keyboard: msg.keyboard,
      subject: alertSubject(alert.id),
      dedupKey: `alert:${alert.id}:${alert.notifications}:${chatId}`,
      disableNotification: alert.severity !== "critical",
    };
  }

  return {
    /**
     * {@link announce} of many alerts: the same messages, rendered from one batched read and
     * queued in one outbox write.
     */
    async announceMany(list: AlertRow[], tx: DbOrTx): Promise<void> {
      if (list.length === 0) return;
      const views = await viewMany(list, tx);
      const messages = views.flatMap((v) => {
        const msg = renderAlert(v);
        return deps.alertChatIds().map((chatId) => announcement(v.alert, msg, chatId));
      });
      await outbox.enqueueMany(messages, clock.now(), tx);
    },

    /**
     * {@link redraw} of many alerts: every live message of each brought up to date, rendered
     * from one batched read and written with one outbox write per kind of change.
     */
    async redrawMany(list: AlertRow[], tx: DbOrTx): Promise<void> {
      if (list.length === 0) return;
      const views = await viewMany(list, tx);
      const edits = views.map((v) => {
        const msg = renderAlert(v);
        return { subject: alertSubject(v.alert.id), text: msg.text, keyboard: msg.keyboard };
      });
      await outbox.editSubjects(edits, clock.now(), tx);
    },

    /**
     * Queues a new message about `alert` to every alert chat. The dedup key names the
     * alert and its notification number, so a retried ingest never queues it twice.
     * Warnings are sent with `disable_notification`.
     */
    async announce(alert: AlertRow, tx: DbOrTx): Promise<void> {
      const msg = renderAlert(await view(alert, tx));
      const now = clock.now();
      for (const chatId of deps.alertChatIds()) {
        await outbox.enqueue(
          {
            chatId,
            text: msg.text,
            keyboard: msg.keyboard,
            subject: alertSubject(alert.id),
            dedupKey: `alert:${alert.id}:${alert.notifications}:${chatId}`,
            disableNotification: alert.severity !== "critical",
          },
          now,
          tx,
        );
      }
    },

    /** Brings every live message of `alert` up to date (edits coalesce in the outbox). */
    async redraw(alert: AlertRow, tx: DbOrTx): Promise<void> {
      const msg = renderAlert(await view(alert, tx));
      await outbox.editSubject(alertSubject(alert.id), msg.text, msg.keyboard, clock.now(), tx);
    },

    /**
     * Re-notification: the previous message loses its buttons and points below, then a new
     * message is announced. `alert.notifications` must already count the new one.
     */
    async renotify(alert: AlertRow, tx: DbOrTx): Promise<void> {
      const old = renderAlert({ ...(await view(alert, tx)), retired: true });
      await outbox.retireSubject(
        alertSubject(alert.id),
        `${alertSubject(alert.id)}#${alert.notifications - 1}`,
        old.text,
        clock.now(),
        tx,
      );
      await this.announce(alert, tx);
    },
  };
}

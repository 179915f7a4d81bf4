import { eq } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.ts";
import { pipeline } from "../../db/pipeline.ts";
import { type AlertRow, type MuteRow, mutes } from "../../db/schema/index.ts";
import { columnList, rowCodec, statement } from "../../db/statement.ts";
import { HEARTBEAT_SOURCE } from "../heartbeats/heartbeat-events.ts";
import type { IncidentService } from "../incidents/incident-service.ts";
import type { EscalationStore } from "../notifications/escalation-store.ts";
import { timersOf } from "../notifications/escalation-store.ts";
import type { Notification } from "../notifications/notification.ts";
import {
  addChat,
  type NotificationKind,
  type NotificationRouter,
} from "../notifications/notification-router.ts";
import type { Publisher } from "../notifications/publisher.ts";
import type { ChatTarget } from "../notifications/routes-config.ts";
import type { AlertView } from "../notifications/views/alert.ts";
import type { TriageView } from "../triage/triage-view.ts";
import type { Clock } from "../types.ts";
import { createAlertGroupStore } from "./alert-group-store.ts";
import { createGroupNotifier } from "./group-notifier.ts";

/** Dependencies of {@link createAlertNotifier}. */
export interface AlertNotifierDeps {
  clock: Clock;
  /** Renders alert and group notifications and queues their deliveries. */
  publisher: Publisher;
  incidents: IncidentService;
  /** Where alerts go: `NOTIFY_ROUTES`, else `TELEGRAM_ALERT_CHAT_IDS` (src/notifications). */
  notifyRouter: NotificationRouter;
  /** Escalation and repeat timers armed when an alert is announced. */
  escalations: EscalationStore;
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

/** Mutes by id, for the batched views (fixed text, db/statement.ts). */
const mutesById = statement(
  "mutes_by_id",
  `select ${columnList(mutes)} from mutes where id = any($1::text[])`,
  rowCodec(mutes),
);

/** The outbox subject of an alert's live message(s). */
export const alertSubject = (alertId: string) => `alert:${alertId}`;

/**
 * The notification kind of an alert: `agent` for heartbeat stalls (raised by the watchdog),
 * `alert` for everything else.
 */
export function alertKind(alert: Pick<AlertRow, "source">): NotificationKind {
  return alert.source === HEARTBEAT_SOURCE ? "agent" : "alert";
}

/**
 * The labels routes match an alert on: its labels, with `alertname`, `severity` and `source`
 * filled in from the alert when the labels lack them (events posted to `/api/events` need
 * not carry them as labels).
 */
export function routeLabels(alert: AlertRow): Record<string, string> {
  return { alertname: alert.type, severity: alert.severity, source: alert.source, ...alert.labels };
}

/**
 * Turns alert changes into deliveries: the first message, edits in place, and the
 * re-notification that retires the previous message (see ./routing.ts, renotifyDue). Every
 * method
 * writes through the caller's transaction.
 */
export type AlertNotifier = ReturnType<typeof createAlertNotifier>;

/** Builds the alert notifier. */
export function createAlertNotifier(deps: AlertNotifierDeps) {
  const { publisher, incidents, clock } = deps;
  const notification = (view: AlertView): Notification => ({ kind: "alert", view });
  const groupStore = createAlertGroupStore();
  const groups = createGroupNotifier({
    ...deps,
    store: groupStore,
    routing: (alert) => ({ kind: alertKind(alert), labels: routeLabels(alert) }),
  });
  /** The groups of `list`'s grouped alerts, each once. */
  const groupIdsOf = (list: readonly AlertRow[]) =>
    new Set(list.flatMap((a) => (a.groupId ? [a.groupId] : [])));

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
    const escalated = (await deps.escalations.get(alert.id, tx))?.escalated ?? [];
    const now = clock.now();
    return { alert, incident, mute, timeZone: deps.timeZone, now, proposeFix, triage, escalated };
  }

  /**
   * The chats an alert goes to, its routes' receivers and those it escalated to
   * (`escalated`, from its escalation row), and the timers its routes set.
   */
  function targetsFrom(alert: AlertRow, escalated: readonly { receiver: string }[]) {
    const decision = deps.notifyRouter.route(alertKind(alert), routeLabels(alert));
    const chats: ChatTarget[] = [...decision.chats];
    for (const e of escalated) {
      for (const c of deps.notifyRouter.receiverChats(e.receiver)) addChat(chats, c);
    }
    return { chats, timers: timersOf(decision.matches.map((m) => m.route)) };
  }

  /**
   * The timers of grouped alerts (told about by their group's message, so no view of their
   * own is read): their escalation rows in one read, then their routes' timers.
   */
  async function groupedTimers(list: AlertRow[], tx: DbOrTx) {
    const rows = await deps.escalations.getMany(
      list.map((a) => a.id),
      tx,
    );
    return list.map((a) => ({
      alertId: a.id,
      timers: targetsFrom(a, rows.get(a.id)?.escalated ?? []).timers,
    }));
  }

  /**
   * Queues the new message of each view's alert to its targets (one outbox write) and
   * returns the timers their routes set, for the caller to arm.
   */
  async function publishNew(views: readonly AlertView[], tx: DbOrTx) {
    const planned = views.map((v) => ({ v, to: targetsFrom(v.alert, v.escalated ?? []) }));
    if (planned.length > 0) {
      await publisher.publishMany(
        planned.map(({ v, to }) => ({
          n: notification(v),
          plan: sendPlan(v.alert, to.chats, ""),
        })),
        tx,
      );
    }
    return planned.map(({ v, to }) => ({ alertId: v.alert.id, timers: to.timers }));
  }

  /** The delivery plan of a new message of `alert`; `tag` makes the dedup keys unique. */
  function sendPlan(alert: AlertRow, chats: readonly ChatTarget[], tag: string) {
    return {
      chats,
      subject: alertSubject(alert.id),
      dedupBase: `alert:${alert.id}:${alert.notifications}${tag}`,
      silent: alert.severity !== "critical",
    };
  }

  /** Queues one new message of `alert` to each of `chats`; `tag` makes the dedup keys unique. */
  async function send(alert: AlertRow, chats: readonly ChatTarget[], tag: string, tx: DbOrTx) {
    await publisher.publish(notification(await view(alert, tx)), sendPlan(alert, chats, tag), tx);
  }

  /**
   * {@link view} of many alerts (keep the two alike) with one read per kind of fact
   * (incidents, mutes, triages) instead of one per alert.
   */
  async function viewMany(list: AlertRow[], tx: DbOrTx) {
    const incidentIds = [...new Set(list.flatMap((a) => (a.incidentId ? [a.incidentId] : [])))];
    const muteIds = [...new Set(list.flatMap((a) => (a.muteId ? [a.muteId] : [])))];
    // Independent reads, sent together (one round trip where the driver pipelines).
    const ids = list.map((a) => a.id);
    const [incidentRows, muteRows, triages, escalations] = await pipeline([
      incidentIds.length > 0 ? incidents.getMany(incidentIds, tx) : [],
      muteIds.length > 0 ? mutesById.run(tx, [muteIds]) : [],
      deps.triagesFor?.(ids, tx) ?? new Map<string, TriageView>(),
      deps.escalations.getMany(ids, tx),
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
        escalated: escalations.get(alert.id)?.escalated ?? [],
      });
    }
    return views;
  }

  return {
    /** Group messages (src/events/group-notifier.ts) and their store. */
    groups,
    groupStore,

    /**
     * Announces alerts the calling transaction opened: a new message about each to every chat
     * its routes name (and every receiver it already escalated to), and its escalation and
     * repeat timers armed; each alert's routes, chats and timers are its own. The dedup key
     * names the alert, its notification number and the chat, so a retried ingest never
     * queues it twice. Warnings are sent with `disable_notification`. An alert already
     * resolved (opened and resolved by one batch) is not announced at all; likewise a redraw
     * of a resolved alert drops its sends not yet made (outbox `dropUnsent`): no message is
     * ever sent about an alert that has already ended. A grouped alert (`groupId` set) is
     * told about by its group's message instead: only its timers are armed here.
     */
    async announceMany(list: AlertRow[], tx: DbOrTx): Promise<void> {
      const grouped = list.filter((a) => a.groupId);
      const own = list.filter((a) => !a.groupId && a.status !== "resolved");
      // One read per kind of fact (the grouped alerts' escalation rows sent with the others),
      // one outbox write and one write of the timers.
      const [timers, views] = await pipeline([
        groupedTimers(grouped, tx),
        own.length > 0 ? viewMany(own, tx) : [],
      ]);
      timers.push(...(await publishNew(views, tx)));
      await deps.escalations.armMany(timers, clock.now(), tx);
    },

    /**
     * Re-notification of many alerts (one ingest batch). Each alert on its own message: the
     * previous message loses its buttons and points below, then a new message is announced
     * (`notifications` must already count it); all of them with one read per kind of fact
     * and one outbox write per kind of change. The groups of grouped ones are re-announced
     * once each (see group-notifier.ts, renotify), their own copies edited and their timers
     * re-armed.
     */
    async renotifyMany(list: AlertRow[], tx: DbOrTx): Promise<void> {
      const grouped = list.filter((a) => a.groupId);
      const own = list.filter((a) => !a.groupId);
      if (own.length > 0) {
        // One read per kind of fact; the old messages retired and the new ones queued with
        // one outbox write each; the timers re-armed in one statement.
        const views = await viewMany(own, tx);
        await publisher.retireMany(
          views.map((v) => ({
            n: notification({ ...v, retired: true }),
            subject: alertSubject(v.alert.id),
            retiredSubject: `${alertSubject(v.alert.id)}#${v.alert.notifications - 1}`,
          })),
          tx,
        );
        const live = views.filter((v) => v.alert.status !== "resolved");
        await deps.escalations.armMany(await publishNew(live, tx), clock.now(), tx);
      }
      if (grouped.length === 0) return;
      await deps.escalations.armMany(await groupedTimers(grouped, tx), clock.now(), tx);
      await this.redrawMany(grouped, tx);
      await groups.renotify(groupIdsOf(grouped), tx);
    },

    /**
     * Sends `alert`'s own message, with its buttons, to `chat` (a member's drill-down from
     * its group message): the same subject, so later edits reach it; once per chat and
     * notification.
     */
    async show(alert: AlertRow, chat: ChatTarget, tx: DbOrTx): Promise<void> {
      await send(alert, [chat], ":show", tx);
    },

    /**
     * {@link redraw} of many alerts: every live message of each brought up to date, rendered
     * from one batched read and written with one outbox write per kind of change.
     */
    async redrawMany(list: AlertRow[], tx: DbOrTx): Promise<void> {
      if (list.length === 0) return;
      const views = await viewMany(list, tx);
      await publisher.updateMany(
        views.map((v) => ({
          n: notification(v),
          subject: alertSubject(v.alert.id),
          dropUnsent: v.alert.status === "resolved",
        })),
        tx,
      );
      await groups.refresh(groupIdsOf(list), tx);
    },

    /**
     * Sends copies of `alert` (same text and buttons, same subject, so later edits reach
     * them) to `chats` as escalation step `step`, then redraws every copy: the escalation
     * store must already list the step, so each message notes it.
     */
    async escalate(
      alert: AlertRow,
      chats: readonly ChatTarget[],
      step: number,
      tx: DbOrTx,
    ): Promise<void> {
      await send(alert, chats, `:esc${step}`, tx);
      await this.redraw(alert, tx);
    },

    /**
     * Brings every live message of `alert` up to date, and its group's message when it is
     * grouped (edits coalesce in the outbox).
     */
    async redraw(alert: AlertRow, tx: DbOrTx): Promise<void> {
      await publisher.update(notification(await view(alert, tx)), alertSubject(alert.id), tx, {
        dropUnsent: alert.status === "resolved",
      });
      if (alert.groupId) await groups.refresh([alert.groupId], tx);
    },

    /** {@link renotifyMany} of one alert (the escalation tick's repeat). */
    async renotify(alert: AlertRow, tx: DbOrTx): Promise<void> {
      await this.renotifyMany([alert], tx);
    },
  };
}

import { inArray } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.ts";
import { pipeline } from "../../db/pipeline.ts";
import { type AlertGroupRow, type AlertRow, mutes } from "../../db/schema/index.ts";
import type { IncidentService } from "../incidents/incident-service.ts";
import type { NotificationKind, NotificationRouter } from "../notifications/notification-router.ts";
import type { Publisher } from "../notifications/publisher.ts";
import type { GroupMember, GroupView } from "../notifications/views/alert-group.ts";
import type { Clock } from "../types.ts";
import type { AlertGroupStore } from "./alert-group-store.ts";
import { type GroupCandidate, type GroupPlan, planGroups } from "./group-plan.ts";

/** Dependencies of {@link createGroupNotifier}. */
export interface GroupNotifierDeps {
  clock: Clock;
  /** Renders group notifications and queues their deliveries. */
  publisher: Publisher;
  incidents: IncidentService;
  notifyRouter: NotificationRouter;
  store: AlertGroupStore;
  timeZone: string;
  /** The notification kind and route labels of an alert (src/events/alert-notifier.ts). */
  routing: (alert: AlertRow) => { kind: NotificationKind; labels: Record<string, string> };
}

/**
 * A group is re-announced (its message retired and sent again) at most once in this long,
 * whatever number of its members come due for a repeat together: the repeats of one batch,
 * or of one escalation tick, whose members are handled one transaction each.
 */
export const GROUP_RENOTIFY_FLOOR_MS = 60_000;

/** The outbox subject of a group's live message(s). */
export const groupSubject = (groupId: string) => `group:${groupId}`;

/** Turns group changes into deliveries: the group message, its edits and re-announcements. */
export type GroupNotifier = ReturnType<typeof createGroupNotifier>;

/** Builds the group notifier. */
export function createGroupNotifier(deps: GroupNotifierDeps) {
  const { store, publisher, clock } = deps;

  /** The view of each of `ids` (groups, members, incident numbers, mutes: four reads). */
  async function views(ids: string[], tx: DbOrTx): Promise<Map<string, GroupView>> {
    const [groups, members] = await pipeline([store.getMany(ids, tx), store.members(ids, tx)]);
    const incidentIds = [...new Set(members.flatMap((a) => (a.incidentId ? [a.incidentId] : [])))];
    const muteIds = [...new Set(members.flatMap((a) => (a.muteId ? [a.muteId] : [])))];
    const [incidentRows, muteRows] = await pipeline([
      incidentIds.length > 0 ? deps.incidents.getMany(incidentIds, tx) : [],
      muteIds.length > 0 ? tx.select().from(mutes).where(inArray(mutes.id, muteIds)) : [],
    ]);
    const numbers = new Map(incidentRows.map((i) => [i.id, i.number]));
    const now = clock.now();
    const inForce = new Set(
      muteRows.filter((m) => !m.liftedAt && m.endsAt > now && m.startsAt <= now).map((m) => m.id),
    );
    const out = new Map<string, GroupView>();
    for (const group of groups) {
      out.set(group.id, { group, members: [], timeZone: deps.timeZone, now });
    }
    for (const alert of members) {
      const member: GroupMember = {
        alert,
        incidentNumber: alert.incidentId ? (numbers.get(alert.incidentId) ?? null) : null,
        muted: alert.muteId !== null && inForce.has(alert.muteId),
      };
      if (alert.groupId) out.get(alert.groupId)?.members.push(member);
    }
    return out;
  }

  /** Queues group message number `n` of `g` to its chats; silent without a firing critical. */
  async function send(g: AlertGroupRow, v: GroupView, n: number, tx: DbOrTx): Promise<void> {
    const critical = v.members.some(
      (m) => m.alert.status === "firing" && m.alert.severity === "critical",
    );
    await publisher.publish(
      { kind: "alert_group", view: v },
      {
        chats: g.chats,
        subject: groupSubject(g.id),
        dedupBase: `group:${g.id}:${n}`,
        silent: !critical,
      },
      tx,
    );
  }

  return {
    /** See {@link planGroups}. */
    plan: (candidates: GroupCandidate[], tx: DbOrTx): Promise<GroupPlan> =>
      planGroups(deps, candidates, tx),

    /** Queues the first message of each new group (its members must be written already). */
    async announce(created: AlertGroupRow[], tx: DbOrTx): Promise<void> {
      if (created.length === 0) return;
      const vs = await views(
        created.map((g) => g.id),
        tx,
      );
      for (const g of created) {
        const v = vs.get(g.id);
        if (v) await send(g, v, g.notifications, tx);
      }
    },

    /**
     * Brings the live messages of groups `ids` up to date (edits coalesce in the outbox) and
     * closes the groups none of whose members fires any more.
     */
    async refresh(ids: Iterable<string>, tx: DbOrTx): Promise<void> {
      const unique = [...new Set(ids)];
      if (unique.length === 0) return;
      const vs = await views(unique, tx);
      const done: string[] = [];
      const updates = [];
      for (const v of vs.values()) {
        const ended = !v.members.some((m) => m.alert.status === "firing");
        if (ended) done.push(v.group.id);
        // A group that ended before its message went out is not announced at all (as an
        // alert: outbox `dropUnsent`).
        updates.push({
          n: { kind: "alert_group", view: v } as const,
          subject: groupSubject(v.group.id),
          dropUnsent: ended,
        });
      }
      // A member's repeat or triage changes nothing on its line: no edit for Telegram to
      // refuse as "message is not modified", and no pacing spent on it.
      await publisher.updateMany(updates, tx, { skipUnchanged: true });
      await store.close(done, clock.now(), tx);
    },

    /**
     * Re-announces groups `ids` (members came due for a repeat): the previous message loses
     * its buttons and points below, and a new one is sent, unless the group was announced
     * less than {@link GROUP_RENOTIFY_FLOOR_MS} ago (then its message is only edited).
     */
    async renotify(ids: Iterable<string>, tx: DbOrTx): Promise<void> {
      const unique = [...new Set(ids)];
      const now = clock.now();
      const due: string[] = [];
      for (const id of unique) {
        const g = await store.getForUpdate(id, tx);
        if (
          g?.status === "open" &&
          now.getTime() - g.lastNotifiedAt.getTime() >= GROUP_RENOTIFY_FLOOR_MS
        ) {
          due.push(id);
        }
      }
      await this.refresh(
        unique.filter((id) => !due.includes(id)),
        tx,
      );
      if (due.length === 0) return;
      const vs = await views(due, tx);
      for (const v of vs.values()) {
        const g = v.group;
        await publisher.retire(
          { kind: "alert_group", view: { ...v, retired: true } },
          groupSubject(g.id),
          `${groupSubject(g.id)}#${g.notifications}`,
          tx,
        );
        await send(g, v, g.notifications + 1, tx);
        await store.renotified(g.id, g.notifications + 1, now, tx);
      }
    },
  };
}

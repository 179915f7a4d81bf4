import type { Db } from "../../db/client.ts";
import type { AlertRow } from "../../db/schema/index.ts";
import type { AlertGroupStore } from "../events/alert-group-store.ts";
import type { AlertNotifier } from "../events/alert-notifier.ts";
import { routeLabels } from "../events/alert-notifier.ts";
import type { AlertRepository } from "../events/alert-repository.ts";
import { groupTitle } from "../events/group-key.ts";
import { compileMatcher, type Matcher, matchAll } from "../mutes/matchers.ts";
import type { MuteService } from "../mutes/mute-service.ts";
import type { ChatTarget } from "../notifications/routes-config.ts";
import type { ActionResult, IncidentActions } from "./incident-actions.ts";

/** Dependencies of {@link createGroupActions}. */
export interface GroupActionsDeps {
  db: Db;
  alerts: AlertRepository;
  notifier: AlertNotifier;
  groups: AlertGroupStore;
  mutes: MuteService;
  actions: IncidentActions;
  /** Called after a commit that queued deliveries, to wake the outbox worker. */
  onQueued: () => void;
}

/**
 * The label set a group mute matches: the group's own labels (Alertmanager's `groupLabels`
 * or the route's `group_by` values), else the labels every member shares; empty when the
 * members share none (then muting the group would mute everything: refused).
 */
export function groupMuteLabels(
  groupLabels: Readonly<Record<string, string>>,
  members: readonly AlertRow[],
): Record<string, string> {
  if (Object.keys(groupLabels).length > 0) return { ...groupLabels };
  const [first, ...rest] = members.map(routeLabels);
  if (!first) return {};
  const common: Record<string, string> = {};
  for (const [k, v] of Object.entries(first)) {
    if (k !== "source" && rest.every((l) => l[k] === v)) common[k] = v;
  }
  return common;
}

/** What the buttons of a group message do: acknowledge all, mute the group, show a member. */
export type GroupActions = ReturnType<typeof createGroupActions>;

/** Builds the group actions. */
export function createGroupActions(deps: GroupActionsDeps) {
  const { db, alerts, notifier, groups } = deps;
  return {
    /**
     * Acknowledges every firing, unacknowledged member of group `groupId` in one transaction
     * (each as its own Acknowledge button would, with its incident), and edits the group
     * message and every member's own copies.
     */
    async acknowledgeAll(groupId: string, who: string): Promise<ActionResult> {
      const members = await groups.members([groupId], db);
      const ids = members
        .filter((a) => a.status === "firing" && !a.acknowledgedAt)
        .map((a) => a.id);
      if (members.length === 0) return { changed: false, message: "That group no longer exists." };
      if (ids.length === 0)
        return { changed: false, message: "Nothing firing is left to acknowledge." };
      return deps.actions.acknowledgeAll(ids, who);
    },

    /**
     * Mutes what group `groupId` is ({@link groupMuteLabels}) for `durationMs` through the
     * mute service (an Alertmanager silence too when `ALERTMANAGER_URL` is set), and shows
     * the mute on the firing members it matches.
     */
    async mute(groupId: string, durationMs: number, who: string): Promise<ActionResult> {
      const [group] = await groups.getMany([groupId], db);
      if (!group) return { changed: false, message: "That group no longer exists." };
      const members = await groups.members([groupId], db);
      const labels = groupMuteLabels(group.labels, members);
      if (Object.keys(labels).length === 0) {
        return {
          changed: false,
          message: "This group's alerts share no label to mute on: mute them one by one.",
        };
      }
      const matchers: Matcher[] = Object.entries(labels)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, value]) => ({ name, op: "=", value }));
      const mute = await deps.mutes.create({
        matchers,
        durationMs,
        createdBy: who,
        reason: `from the group ${groupTitle(group.labels)}`,
      });
      const compiled = matchers.map(compileMatcher);
      await db.transaction(async (tx) => {
        const changed: AlertRow[] = [];
        for (const a of await groups.members([groupId], tx)) {
          if (a.status !== "firing" || !matchAll(compiled, routeLabels(a))) continue;
          changed.push(await alerts.update(a.id, { muteId: mute.id }, tx));
        }
        await notifier.redrawMany(changed, tx);
      });
      deps.onQueued();
      const hours = Math.round(durationMs / 3_600_000);
      const note =
        mute.silence.state === "failed"
          ? ` Alertmanager ${mute.silence.error}: muted here only.`
          : "";
      return { changed: true, message: `Group muted for ${hours} h.${note}` };
    },

    /** Sends member alert `alertId`'s own message, with its buttons, to `chat`. */
    async show(alertId: string, chat: ChatTarget): Promise<ActionResult> {
      const alert = await alerts.get(alertId);
      if (!alert) return { changed: false, message: "That alert no longer exists." };
      await db.transaction((tx) => notifier.show(alert, chat, tx));
      deps.onQueued();
      return { changed: true, message: `${alert.title}: its message follows below.` };
    },
  };
}

import type { DbOrTx } from "../../db/client.ts";
import type { AlertGroupRow, AlertRow } from "../../db/schema/index.ts";
import { ulid } from "../ids.ts";
import type { NotificationRouter } from "../notifications/notification-router.ts";
import type { Clock } from "../types.ts";
import type { AlertGroupStore } from "./alert-group-store.ts";
import { deriveGroupKey, storedGroupKey, type WebhookGroup } from "./group-key.ts";
import type { GroupNotifierDeps } from "./group-notifier.ts";

/** A new alert that may be grouped, with the Alertmanager group of its webhook. */
export interface GroupCandidate {
  alert: AlertRow;
  webhook?: WebhookGroup;
}

/** What {@link planGroups} decided: each grouped alert's group, new and joined groups. */
export interface GroupPlan {
  groupOf: Map<string, string>;
  created: AlertGroupRow[];
  joined: string[];
}

/** What {@link planGroups} needs. */
export interface GroupPlanDeps {
  clock: Clock;
  notifyRouter: NotificationRouter;
  store: AlertGroupStore;
  routing: GroupNotifierDeps["routing"];
}

/**
 * Decides, in memory and with one read of the open groups of the keys, which of the new
 * alerts `candidates` (one ingest batch) are told about in a group message: those that
 * join an open group of their key, and those of a key with at least two new alerts and
 * no open group (a new group, inserted here). The rest get their own message. Two
 * ingests forming a group of one key at once: the partial unique index on open keys
 * refuses the second insert, its transaction runs again (./tx-retry.ts) and joins.
 */
export async function planGroups(
  deps: GroupPlanDeps,
  candidates: GroupCandidate[],
  tx: DbOrTx,
): Promise<GroupPlan> {
  const byKey = new Map<
    string,
    { labels: Record<string, string>; chats: AlertGroupRow["chats"]; alerts: AlertRow[] }
  >();
  for (const c of candidates) {
    const { kind, labels } = deps.routing(c.alert);
    const decision = deps.notifyRouter.route(kind, labels);
    const groupBy = decision.matches[0]?.route?.groupBy ?? null;
    const derived = deriveGroupKey(labels, groupBy, c.webhook);
    if (!derived || decision.chats.length === 0) continue;
    const key = storedGroupKey(kind, decision.chats, derived.key);
    const entry = byKey.get(key) ?? {
      labels: derived.labels,
      chats: decision.chats,
      alerts: [],
    };
    entry.alerts.push(c.alert);
    byKey.set(key, entry);
  }
  const open = new Map(
    (await deps.store.openForUpdate([...byKey.keys()], tx)).map((g) => [g.key, g]),
  );
  const plan: GroupPlan = { groupOf: new Map(), created: [], joined: [] };
  const now = deps.clock.now();
  for (const [key, entry] of byKey) {
    let group = open.get(key);
    if (group) plan.joined.push(group.id);
    else if (entry.alerts.length >= 2) {
      group = {
        id: ulid(),
        key,
        labels: entry.labels,
        chats: entry.chats.map((c) => ({ chatId: c.chatId, threadId: c.threadId })),
        status: "open",
        notifications: 1,
        lastNotifiedAt: now,
        createdAt: now,
        closedAt: null,
      };
      plan.created.push(group);
    } else continue;
    for (const a of entry.alerts) plan.groupOf.set(a.id, group.id);
  }
  await deps.store.insertMany(plan.created, tx);
  return plan;
}

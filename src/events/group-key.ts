import type { ChatTarget } from "../notifications/routes-config.ts";

/**
 * The group Alertmanager put an alert in, as its webhook says: `groupKey` (unique per route
 * and group) and `groupLabels` (the values of the route's `group_by` labels).
 * https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */
export interface WebhookGroup {
  /** `groupKey`, or a key made of `groupLabels` when the webhook has no `groupKey`. */
  key: string;
  labels: Record<string, string>;
}

/** A derived group: the key alerts are grouped by, and the label values behind it. */
export interface GroupKey {
  key: string;
  labels: Record<string, string>;
}

/** `name="value"` pairs sorted by name, in braces: the text form of a label set. */
export function labelSetKey(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `{${pairs.join(",")}}`;
}

/**
 * The webhook's own group: its `groupKey`, else a key of its `groupLabels`; undefined when
 * it has neither (Alertmanager always sends both; other senders of the format may not).
 */
export function webhookGroup(
  groupKey: string | undefined,
  groupLabels: Record<string, string> | undefined,
): WebhookGroup | undefined {
  if (groupKey) return { key: `am:${groupKey}`, labels: groupLabels ?? {} };
  if (groupLabels && Object.keys(groupLabels).length > 0) {
    return { key: `am-labels:${labelSetKey(groupLabels)}`, labels: groupLabels };
  }
  return undefined;
}

/**
 * The group key of one alert, or null for "announce it on its own":
 * - `groupBy` null (the route has no `group_by`, or no `NOTIFY_ROUTES`): the webhook's own
 *   group (what Alertmanager grouped stays one message); events without one (`/api/events`)
 *   are not grouped;
 * - `["..."]`: every label, that is no grouping (Alertmanager's meaning of `...`);
 * - a list of label names: the values of those labels, a missing label counting as absent
 *   (as in Alertmanager, so `[]` puts every alert of the route in one group).
 * `labels` are the labels routes match on (src/events/alert-notifier.ts routeLabels).
 */
export function deriveGroupKey(
  labels: Readonly<Record<string, string>>,
  groupBy: readonly string[] | null,
  fromWebhook: WebhookGroup | undefined,
): GroupKey | null {
  if (groupBy === null) return fromWebhook ? { ...fromWebhook } : null;
  if (groupBy.includes("...")) return null;
  const picked: Record<string, string> = {};
  for (const name of groupBy) {
    const v = labels[name];
    if (v !== undefined && v !== "") picked[name] = v;
  }
  return { key: `by:${[...groupBy].sort().join(",")}:${labelSetKey(picked)}`, labels: picked };
}

/**
 * The key a group is stored and looked up under: the notification kind and the chats the
 * group message goes to, with the group key, so alerts of one key routed to different chats
 * never share a message.
 */
export function storedGroupKey(kind: string, chats: readonly ChatTarget[], key: string): string {
  const where = chats
    .map((c) => (c.threadId === null ? `${c.chatId}` : `${c.chatId}:${c.threadId}`))
    .sort()
    .join(",");
  return `${kind}|${where}|${key}`;
}

/** The group's label values for its header: `HighErrorRate` for alertname, else `job=api`. */
export function groupTitle(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels)
    .sort(([a], [b]) => (a === "alertname" ? -1 : b === "alertname" ? 1 : a < b ? -1 : 1))
    .map(([k, v]) => (k === "alertname" ? v : `${k}=${v}`));
  return parts.length > 0 ? parts.join(" · ") : "alert group";
}

import { matchAll } from "../mutes/matchers.ts";
import type { ChatTarget, Route, RoutesConfig } from "./routes-config.ts";

export type { ChatTarget };

/**
 * What a notification is about, the `kind` label routes match on: an alert message, a heal
 * plan proposal, a daily or weekly report, the smoke summary, an aider session message, or an
 * agent heartbeat stall (an alert raised by the heartbeat watchdog).
 */
export const NOTIFICATION_KINDS = [
  "alert",
  "heal_plan",
  "digest",
  "smoke_summary",
  "aider_session",
  "agent",
] as const;

/** A notification kind (see {@link NOTIFICATION_KINDS}). */
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** One route that matched, with the chats of its receiver. */
export interface RouteMatch {
  /** The matched route, or null for the default receiver (or no routes configured). */
  route: Route | null;
  receiver: string;
  chats: ChatTarget[];
}

/** Where one notification goes: the matched routes in order and the union of their chats. */
export interface RouteDecision {
  matches: RouteMatch[];
  /** Every chat once, in the order the routes name them. */
  chats: ChatTarget[];
}

/** Routes notifications to chats by kind and labels. */
export interface NotificationRouter {
  /** Where a notification of `kind` with `labels` goes. */
  route(kind: NotificationKind, labels: Readonly<Record<string, string>>): RouteDecision;
  /** The chats of receiver `name` (an escalation target), empty when it is unknown. */
  receiverChats(name: string): ChatTarget[];
  /** The configured routes, or undefined when every notification goes to the alert chats. */
  config(): RoutesConfig | undefined;
  /** Every chat id notifications may go to: all receivers' chats, or the alert chats. */
  chatIds(): number[];
}

/** Name given to the implicit receiver when no routes are configured. */
export const ALERT_CHATS_RECEIVER = "alert-chats";

/** Adds `c` to `into` unless the same chat and topic is there already. */
export function addChat(into: ChatTarget[], c: ChatTarget): void {
  if (!into.some((x) => x.chatId === c.chatId && x.threadId === c.threadId)) into.push(c);
}

/**
 * Builds the router. With `routes` (`NOTIFY_ROUTES`), the labels plus `kind` are matched
 * against the routes in order, as Alertmanager's routing tree does one level deep
 * (https://prometheus.io/docs/alerting/latest/configuration/#route): the first route that
 * matches wins unless it sets `continue`; when none matches, the default receiver gets it.
 * An empty `match` list matches everything. Without routes every notification goes to
 * `alertChatIds()` (`TELEGRAM_ALERT_CHAT_IDS`), as before routes existed.
 */
export function createNotificationRouter(deps: {
  routes: RoutesConfig | undefined;
  alertChatIds: () => readonly number[];
}): NotificationRouter {
  const cfg = deps.routes;
  const chatsOf = (name: string): ChatTarget[] => cfg?.receivers.get(name)?.chats ?? [];
  const alertChats = (): ChatTarget[] =>
    deps.alertChatIds().map((chatId) => ({ chatId, threadId: null }));
  return {
    route(kind, labels) {
      if (!cfg) {
        const chats = alertChats();
        return { matches: [{ route: null, receiver: ALERT_CHATS_RECEIVER, chats }], chats };
      }
      const withKind = { ...labels, kind };
      const matches: RouteMatch[] = [];
      for (const route of cfg.routes) {
        const hit = route.matchers.length === 0 || matchAll(route.matchers, withKind);
        if (!hit) continue;
        matches.push({ route, receiver: route.receiver, chats: chatsOf(route.receiver) });
        if (!route.continue) break;
      }
      if (matches.length === 0) {
        matches.push({
          route: null,
          receiver: cfg.defaultReceiver,
          chats: chatsOf(cfg.defaultReceiver),
        });
      }
      const chats: ChatTarget[] = [];
      for (const m of matches) for (const c of m.chats) addChat(chats, c);
      return { matches, chats };
    },
    receiverChats: (name) =>
      cfg ? chatsOf(name) : name === ALERT_CHATS_RECEIVER ? alertChats() : [],
    config: () => cfg,
    chatIds: () =>
      cfg
        ? [...new Set([...cfg.receivers.values()].flatMap((r) => r.chats.map((c) => c.chatId)))]
        : [...deps.alertChatIds()],
  };
}

/**
 * The outbox dedup-key suffix of a chat target: `<chat>` or `<chat>:<topic>`, so a message to
 * two topics of one forum is two deliveries.
 */
export function targetKey(c: ChatTarget): string {
  return c.threadId === null ? String(c.chatId) : `${c.chatId}:${c.threadId}`;
}

/** The chats a notification with `labels` goes to; one function per kind, bound in src/app.ts. */
export type NotifyTargets = (labels?: Readonly<Record<string, string>>) => readonly ChatTarget[];

/** Binds {@link NotificationRouter.route} to one kind: the chats for a label set. */
export function targetsFor(router: NotificationRouter, kind: NotificationKind): NotifyTargets {
  return (labels = {}) => router.route(kind, labels).chats;
}

/** A chat target from a plain chat id (no topic) or a target. */
export function toTarget(c: number | ChatTarget): ChatTarget {
  return typeof c === "number" ? { chatId: c, threadId: null } : c;
}

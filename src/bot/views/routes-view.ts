import { InputError } from "../../errors.ts";
import { formatMatcher } from "../../mutes/matchers.ts";
import { tokenize } from "../../mutes/mute-spec.ts";
import {
  NOTIFICATION_KINDS,
  type NotificationKind,
  type NotificationRouter,
  type RouteDecision,
} from "../../notifications/notification-router.ts";
import type { ChatTarget, Route } from "../../notifications/routes-config.ts";
import { escapeHtml, formatDuration, truncateHtml } from "../../telegram-format.ts";

/** `424242` or `-1001234567890 topic 42`. */
function chatText(c: ChatTarget): string {
  return c.threadId === null ? String(c.chatId) : `${c.chatId} topic ${c.threadId}`;
}

function chatsText(chats: readonly ChatTarget[]): string {
  return chats.length === 0 ? "no chat" : chats.map(chatText).join(", ");
}

/** A route's `group_by` for people: `alertname, job`, "every label (no grouping)", "nothing (one group)". */
function groupByText(names: readonly string[]): string {
  if (names.includes("...")) return "every label (no grouping)";
  if (names.length === 0) return "nothing (one group)";
  return names.map((n) => `<code>${escapeHtml(n)}</code>`).join(", ");
}

function routeLine(r: Route): string {
  const match =
    r.matchers.length === 0
      ? "everything"
      : r.matchers.map((m) => `<code>${escapeHtml(formatMatcher(m))}</code>`).join(" ");
  const extras: string[] = [];
  if (r.continue) extras.push("continue");
  if (r.groupBy !== null) extras.push(`group by ${groupByText(r.groupBy)}`);
  if (r.repeatIntervalMs !== null)
    extras.push(`repeat every ${formatDuration(r.repeatIntervalMs)}`);
  for (const s of r.escalate) {
    extras.push(`after ${formatDuration(s.afterMs)} → <b>${escapeHtml(s.receiver)}</b>`);
  }
  const tail = extras.length ? ` · ${extras.join(" · ")}` : "";
  return `<b>${r.index + 1}.</b> ${match} → <b>${escapeHtml(r.receiver)}</b>${tail}`;
}

/**
 * The /routes screen: receivers with their chats, the routes in order (matchers, receiver,
 * continue, repeat, escalation steps) and the default receiver; or, without `NOTIFY_ROUTES`,
 * the alert chats everything goes to.
 */
export function renderRoutes(router: NotificationRouter): string {
  const cfg = router.config();
  if (!cfg) {
    const chats = chatsText(router.route("alert", {}).chats);
    return [
      "<b>Notification routes</b>",
      `No NOTIFY_ROUTES set: every notification goes to ${escapeHtml(chats)} (TELEGRAM_ALERT_CHAT_IDS).`,
    ].join("\n");
  }
  const receivers = [...cfg.receivers.values()].map(
    (r) => `• <b>${escapeHtml(r.name)}</b>: ${escapeHtml(chatsText(r.chats))}`,
  );
  return truncateHtml(
    [
      "<b>Notification routes</b> (first match wins unless continue)",
      ...cfg.routes.map(routeLine),
      `Otherwise → <b>${escapeHtml(cfg.defaultReceiver)}</b>`,
      "",
      "<b>Receivers</b>",
      ...receivers,
      "",
      "Try <code>/routes severity=critical alertname=X</code> (kind defaults to alert).",
    ].join("\n"),
    "the rest is in NOTIFY_ROUTES",
  );
}

/**
 * Parses a pasted label set, `name=value …` (values may be double-quoted), with an optional
 * `kind=…` (default `alert`).
 * @throws InputError naming the token that is not `name=value`, or an unknown kind.
 */
export function parseLabelSet(text: string): {
  kind: NotificationKind;
  labels: Record<string, string>;
} {
  const labels: Record<string, string> = {};
  for (const tok of tokenize(text)) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)=(.*)$/.exec(tok);
    if (!m) throw new InputError(`"${tok}" is not name=value`, { field: "labels" });
    let value = m[2] as string;
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1).replace(/\\"/g, '"');
    }
    labels[m[1] as string] = value;
  }
  const { kind = "alert", ...rest } = labels;
  if (!(NOTIFICATION_KINDS as readonly string[]).includes(kind)) {
    throw new InputError(`kind must be one of ${NOTIFICATION_KINDS.join(", ")}`, { field: "kind" });
  }
  return { kind: kind as NotificationKind, labels: rest };
}

/** Where a label set goes: each matched route, its receiver and chats, and the timers. */
export function renderRouteDecision(
  kind: NotificationKind,
  labels: Readonly<Record<string, string>>,
  d: RouteDecision,
): string {
  const set = Object.entries({ kind, ...labels })
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const lines = [`<b>Where</b> <code>${escapeHtml(set)}</code> <b>goes</b>`];
  for (const m of d.matches) {
    const by = m.route ? `route ${m.route.index + 1}` : "default";
    lines.push(`• ${by} → <b>${escapeHtml(m.receiver)}</b>: ${escapeHtml(chatsText(m.chats))}`);
    for (const s of m.route?.escalate ?? []) {
      lines.push(
        `   unacknowledged ${formatDuration(s.afterMs)} → <b>${escapeHtml(s.receiver)}</b>`,
      );
    }
    if (m.route?.repeatIntervalMs) {
      lines.push(`   repeated every ${formatDuration(m.route.repeatIntervalMs)} while firing`);
    }
  }
  return truncateHtml(lines.join("\n"), "more routes matched");
}

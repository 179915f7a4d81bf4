import type { AlertGroupRow, AlertRow, InlineKeyboard } from "../../../db/schema/index.ts";
import { callbackData } from "../../callback-data.ts";
import { groupTitle } from "../../events/group-key.ts";
import { alertPlace, incidentRef } from "../../incidents/incident-ref.ts";
import { escapeHtml, MESSAGE_LIMIT } from "../../telegram-format.ts";
import { cutText } from "../../text-cut.ts";
import { formatWhen, zoneNote } from "../../time-format.ts";
import type { RenderedMessage } from "../notification.ts";

const ICON = { critical: "🔴", warning: "🟠", info: "🔵" } as const;
const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;

/** Drill-down buttons at most: one per firing member, the first ones in message order. */
export const MAX_MEMBER_BUTTONS = 8;

/** One member of a group as its line shows it. */
export interface GroupMember {
  alert: AlertRow;
  /** Number of its incident (`#17`), when it has one. */
  incidentNumber: number | null;
  /** A mute from its or the group's buttons is in force. */
  muted: boolean;
}

/** What a group message shows. */
export interface GroupView {
  group: AlertGroupRow;
  members: GroupMember[];
  timeZone: string;
  now: Date;
  /** This message was followed by a re-announcement: no buttons, a pointer below. */
  retired?: boolean;
  /** Message limit (Telegram's 4,096 characters; smaller in tests). */
  limit?: number;
}

/** A member's state word: resolved, acknowledged, muted or firing. */
export function memberState(m: GroupMember): "firing" | "acknowledged" | "resolved" | "muted" {
  if (m.alert.status === "resolved") return "resolved";
  if (m.alert.acknowledgedAt) return "acknowledged";
  return m.muted ? "muted" : "firing";
}

/**
 * Firing members first, by severity, then start time, name and place (`api-2` before
 * `api-10`); resolved ones last.
 */
export function memberOrder(a: GroupMember, b: GroupMember): number {
  const ra = a.alert.status === "resolved" ? 1 : 0;
  const rb = b.alert.status === "resolved" ? 1 : 0;
  if (ra !== rb) return ra - rb;
  const s = SEVERITY_ORDER[a.alert.severity] - SEVERITY_ORDER[b.alert.severity];
  if (s !== 0) return s;
  const t = a.alert.startedAt.getTime() - b.alert.startedAt.getTime();
  if (t !== 0) return t;
  const name = a.alert.title.localeCompare(b.alert.title);
  if (name !== 0) return name;
  const where = naturalOrder(alertPlace(a.alert.labels) ?? "", alertPlace(b.alert.labels) ?? "");
  return where !== 0 ? where : a.alert.id < b.alert.id ? -1 : a.alert.id > b.alert.id ? 1 : 0;
}

/** `api-2` before `api-10`: numbers inside names compared as numbers. */
const naturalOrder = new Intl.Collator("en", { numeric: true }).compare;

/** Line 1: `🔴 4 critical · 🟠 3 warning · <b>HighErrorRate</b>` (firing members counted). */
function headLine(v: GroupView): string {
  const title = `<b>${escapeHtml(groupTitle(v.group.labels))}</b>`;
  const counts = { critical: 0, warning: 0, info: 0 };
  for (const m of v.members) if (m.alert.status === "firing") counts[m.alert.severity]++;
  const parts = (["critical", "warning", "info"] as const)
    .filter((s) => counts[s] > 0)
    .map((s) => `${ICON[s]} ${counts[s]} ${s}`);
  if (parts.length === 0) return `✅ <b>RESOLVED</b> · ${v.members.length} alerts · ${title}`;
  return [...parts, title].join(" · ");
}

/** One member line: icon, name, place, state, incident number. */
export function memberLine(m: GroupMember): string {
  const state = memberState(m);
  const icon = state === "resolved" ? "✅" : ICON[m.alert.severity];
  const place = alertPlace(m.alert.labels);
  const where = place ? ` · <code>${escapeHtml(cutText(place, 60))}</code>` : "";
  const ref = m.incidentNumber === null ? "" : ` · ${incidentRef({ number: m.incidentNumber })}`;
  return `${icon} ${escapeHtml(cutText(m.alert.title, 80))}${where} · ${state}${ref}`;
}

/**
 * Renders a group message: line 1 counts the firing members by severity and names the group
 * (what a notification preview shows), then one line per member (firing first), then when
 * the group started. Member lines that would pass the message limit are cut and counted as
 * "+N more" (the HTML length is measured, which is never shorter than the text Telegram
 * counts after parsing). Buttons while a member fires: Acknowledge all (while one is not
 * acknowledged), Mute group 1 h, and one button per firing member (the first
 * {@link MAX_MEMBER_BUTTONS}) that shows its own message.
 */
export function renderGroup(v: GroupView): RenderedMessage {
  const limit = v.limit ?? MESSAGE_LIMIT;
  const members = [...v.members].sort(memberOrder);
  const head = headLine(v);
  const foot = [
    `Since ${formatWhen(v.group.createdAt, v.now, v.timeZone)} · ${zoneNote(v.timeZone)}`,
  ];
  if (v.retired) foot.push("↪ Still firing: a newer message about this group follows below.");
  const fixed = head.length + foot.join("\n").length + 2;
  const lines: string[] = [];
  let used = fixed;
  for (const [i, m] of members.entries()) {
    const line = memberLine(m);
    const rest = members.length - i - 1;
    // Room for this line, and for the "+N more" line if members remain after it.
    const reserve = rest > 0 ? `\n… +${rest} more`.length : 0;
    if (used + line.length + 1 + reserve > limit) {
      lines.push(`… +${members.length - i} more`);
      break;
    }
    lines.push(line);
    used += line.length + 1;
  }
  const text = [head, ...lines, ...foot].join("\n");
  const firing = members.filter((m) => m.alert.status === "firing");
  if (v.retired || firing.length === 0) return { text, keyboard: null };
  return { text, keyboard: groupKeyboard(v.group.id, firing) };
}

function groupKeyboard(groupId: string, firing: GroupMember[]): InlineKeyboard {
  const top = [];
  if (firing.some((m) => !m.alert.acknowledgedAt)) {
    top.push({ text: "✋ Acknowledge all", callback_data: callbackData.group.ackAll(groupId) });
  }
  top.push({ text: "🔕 Mute group 1 h", callback_data: callbackData.group.mute1h(groupId) });
  const keyboard: InlineKeyboard = [top];
  const shown = firing.slice(0, MAX_MEMBER_BUTTONS);
  for (let i = 0; i < shown.length; i += 2) {
    keyboard.push(
      shown.slice(i, i + 2).map((m) => {
        const place = alertPlace(m.alert.labels);
        const label = `${ICON[m.alert.severity]} ${m.alert.title}${place ? ` ${place}` : ""}`;
        return { text: cutText(label, 40), callback_data: callbackData.group.show(m.alert.id) };
      }),
    );
  }
  return keyboard;
}

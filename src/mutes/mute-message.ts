import type { InlineKeyboard, MuteRow } from "../../db/schema/index.ts";
import { callbackData } from "../callback-data.ts";
import { escapeHtml, formatDuration, formatTime, truncateHtml } from "../telegram-format.ts";
import { formatMatcher } from "./matchers.ts";

/** One mute as a line block: matchers, until when, who and why. */
export function describeMute(m: MuteRow, now: Date, timeZone: string): string {
  const matchers = m.matchers.map((x) => `<code>${escapeHtml(formatMatcher(x))}</code>`).join(" ");
  const left = m.endsAt.getTime() - now.getTime();
  const lines = [
    `🔕 ${matchers}`,
    `until ${formatTime(m.endsAt, timeZone)} (${formatDuration(Math.max(0, left))} left), by ${escapeHtml(m.createdBy)}`,
  ];
  if (m.startsAt > now) lines.push(`starts ${formatTime(m.startsAt, timeZone)}`);
  if (m.reason) lines.push(`<i>${escapeHtml(m.reason)}</i>`);
  return lines.join("\n");
}

/**
 * The /mutes screen: every active mute numbered, with an Unmute button each
 * (DESIGN.md, Mutes). Text and keyboard are built from the same list, so button n lifts
 * mute n.
 */
export function renderMuteList(
  list: readonly MuteRow[],
  now: Date,
  timeZone: string,
): { text: string; keyboard: InlineKeyboard } {
  if (list.length === 0) {
    return {
      text: "🔔 No active mutes. Create one with /mute or the Mute buttons on an alert.",
      keyboard: [],
    };
  }
  const shown = list.slice(0, 20);
  const blocks = shown.map((m, i) => `<b>${i + 1}.</b> ${describeMute(m, now, timeZone)}`);
  const more = list.length > shown.length ? [`… and ${list.length - shown.length} more`] : [];
  const text = truncateHtml(
    [`<b>Active mutes (${list.length})</b>`, ...blocks, ...more].join("\n\n"),
    "more in the database (mutes table)",
  );
  const keyboard = shown.map((m, i) => [
    { text: `🔔 Unmute ${i + 1}`, callback_data: callbackData.liftMute(m.id) },
  ]);
  return { text, keyboard };
}

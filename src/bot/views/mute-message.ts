import type { InlineKeyboard, MuteRow } from "../../../db/schema/index.ts";
import { callbackData } from "../../callback-data.ts";
import type { Silence } from "../../mutes/alertmanager-silences.ts";
import { formatMatcher, type Matcher } from "../../mutes/matchers.ts";
import type { CreatedMute, SilenceOutcome } from "../../mutes/mute-service.ts";
import { personName } from "../../person-name.ts";
import { escapeHtml, truncateHtml } from "../../telegram-format.ts";
import { clockTime, formatSpan, formatWhen, zoneNote } from "../../time-format.ts";

/** Matchers as amtool writes them, each in `<code>`. */
function matchersHtml(ms: readonly Matcher[]): string {
  return ms.map((x) => `<code>${escapeHtml(formatMatcher(x))}</code>`).join(" ");
}

/** One line on what Alertmanager did, or undefined without `ALERTMANAGER_URL`. */
export function silenceLine(s: SilenceOutcome, verb: "created" | "expired"): string | undefined {
  if (s.state === "off") return undefined;
  if (s.state === "done") return `Alertmanager silence <code>${escapeHtml(s.id)}</code> ${verb}.`;
  return `⚠️ Alertmanager ${escapeHtml(s.error)}: ${verb === "created" ? "muted here only" : "its silence is still there"}.`;
}

/**
 * The reply to a new mute (/mute, its conversation): matchers, duration and end
 * (`for 1h 00m, until 19:09 (in 1h)`, src/time-format.ts, as of the mute's start) with the
 * zone named once below them, how many firing alerts it matches now, the reason, what
 * Alertmanager did, and an Unmute button.
 */
export function renderMuteCreated(
  m: CreatedMute,
  firing: number,
  timeZone: string,
): { text: string; keyboard: InlineKeyboard } {
  const lines = [
    `🔕 <b>Muted</b> ${matchersHtml(m.matchers)}`,
    `for ${formatSpan(m.endsAt.getTime() - m.startsAt.getTime())}, until ${formatWhen(m.endsAt, m.startsAt, timeZone)}`,
    zoneNote(timeZone),
    `Matches ${firing} firing alert${firing === 1 ? "" : "s"} now.`,
  ];
  if (m.reason) lines.push(`<i>${escapeHtml(m.reason)}</i>`);
  const am = silenceLine(m.silence, "created");
  if (am) lines.push(am);
  return {
    text: lines.join("\n"),
    keyboard: [[{ text: "🔔 Unmute", callback_data: callbackData.unmuteReply(m.id) }]],
  };
}

/**
 * A /mute reply after its 🔔 Unmute was pressed (no buttons): who lifted the mute and when,
 * or when it ended on its own, its matchers and reason, and Alertmanager's answer when its
 * silence could not be expired. `silence` is the outcome of this press (undefined: none).
 */
export function renderMuteLifted(
  m: MuteRow,
  now: Date,
  timeZone: string,
  silence?: SilenceOutcome,
): string {
  const when = (d: Date) => `${clockTime(d, now, timeZone)} (${escapeHtml(timeZone)})`;
  const head =
    m.liftedAt !== null
      ? `🔔 <b>Unmuted</b> by ${escapeHtml(personName(m.liftedBy ?? "someone"))} at ${when(m.liftedAt)}`
      : `🔔 <b>Mute ended</b> at ${when(m.endsAt)}`;
  const lines = [`${head} — ${matchersHtml(m.matchers)}`];
  if (m.reason) lines.push(`<i>${escapeHtml(m.reason)}</i>`);
  const am = silence ? silenceLine(silence, "expired") : undefined;
  if (am) lines.push(am);
  return truncateHtml(lines.join("\n"), "cut; /mutes lists the active mutes");
}

/**
 * One mute as a line block: matchers, until when (`until 19:09 (in 1h)`), who and why. The
 * zone is named by the message that holds the block ({@link renderMuteList}).
 */
export function describeMute(m: MuteRow, now: Date, timeZone: string): string {
  const matchers = matchersHtml(m.matchers);
  const lines = [
    `🔕 ${matchers}`,
    `until ${formatWhen(m.endsAt, now, timeZone)}, by ${escapeHtml(personName(m.createdBy))}`,
  ];
  if (m.startsAt > now) lines.push(`starts ${formatWhen(m.startsAt, now, timeZone)}`);
  if (m.reason) lines.push(`<i>${escapeHtml(m.reason)}</i>`);
  return lines.join("\n");
}

/**
 * The /mutes screen: every active mute numbered, with an Unmute button each
 * (docs/operations.md, Alertmanager silences), then the silences made in Alertmanager itself (its UI, amtool), each
 * with an Expire button, or a line saying Alertmanager did not answer. Text and keyboard are
 * built from the same lists, so button n acts on entry n. Times as `19:09 (in 1h)`, the zone
 * named once under the heading (kept when a long list is cut from the end).
 */
export function renderMuteList(
  list: readonly MuteRow[],
  now: Date,
  timeZone: string,
  foreign?: readonly Silence[] | { failed: string },
): { text: string; keyboard: InlineKeyboard } {
  const silences = Array.isArray(foreign) ? foreign.slice(0, 10) : [];
  const failed =
    foreign && !Array.isArray(foreign) ? (foreign as { failed: string }).failed : undefined;
  if (list.length === 0 && silences.length === 0 && !failed) {
    return {
      text: "🔔 No active mutes. Create one with /mute or the Mute buttons on an alert.",
      keyboard: [],
    };
  }
  const shown = list.slice(0, 20);
  const blocks = shown.map((m, i) => `<b>${i + 1}.</b> ${describeMute(m, now, timeZone)}`);
  const more = list.length > shown.length ? [`… and ${list.length - shown.length} more`] : [];
  const parts = [`<b>Active mutes (${list.length})</b>\n${zoneNote(timeZone)}`, ...blocks, ...more];
  if (silences.length > 0) {
    parts.push(`<b>Made in Alertmanager (${silences.length})</b>`);
    silences.forEach((s, i) => {
      const lines = [
        `<b>A${i + 1}.</b> 🔕 ${matchersHtml(s.matchers)}`,
        `until ${formatWhen(s.endsAt, now, timeZone)}, by ${escapeHtml(s.createdBy)}${s.state === "pending" ? ", starts later" : ""}`,
      ];
      if (s.comment) lines.push(`<i>${escapeHtml(s.comment)}</i>`);
      parts.push(lines.join("\n"));
    });
  }
  if (failed) parts.push(`⚠️ Alertmanager ${escapeHtml(failed)}: its silences are not listed.`);
  const text = truncateHtml(parts.join("\n\n"), "more in the database (mutes table)");
  const keyboard = shown.map((m, i) => [
    { text: `🔔 Unmute ${i + 1}`, callback_data: callbackData.liftMute(m.id) },
  ]);
  silences.forEach((s, i) => {
    keyboard.push([
      { text: `🔔 Expire A${i + 1}`, callback_data: callbackData.expireSilence(s.id) },
    ]);
  });
  return { text, keyboard };
}

/**
 * One way to show times in chat messages: a clock time in the configured zone with how long
 * ago it was (`18:08 (4m ago)`), the zone named once per message ({@link zoneNote}), and
 * durations as `45s`, `3m 05s`, `2h 05m`, `3d 04h` (two units at most, the second padded).
 */

import { escapeHtml } from "./telegram-format.ts";

/**
 * One formatter per time zone, built on first use: building an `Intl.DateTimeFormat` costs
 * about as much as formatting hundreds of dates. Zones come from configuration; bounded.
 */
const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * Parts already computed, by zone and minute: the parts stop at the minute, so every date of
 * one minute has the same ones (every zone's offset today is whole minutes; only local mean
 * times before about 1900 had seconds), and `formatToParts` is the costly step when a storm renders
 * thousands of messages a second. Emptied when it reaches {@link PARTS_CACHED} entries.
 */
const partsByMinute = new Map<string, Readonly<Record<string, string>>>();
const PARTS_CACHED = 1024;

/** Parts of `d` in `timeZone` (Intl, IANA zone names), to the minute. Do not modify. */
function parts(d: Date, timeZone: string): Readonly<Record<string, string>> {
  const key = `${timeZone} ${Math.floor(d.getTime() / 60_000)}`;
  const known = partsByMinute.get(key);
  if (known) return known;
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    if (formats.size < 64) formats.set(timeZone, format);
  }
  const out: Record<string, string> = {};
  for (const p of format.formatToParts(d)) out[p.type] = p.value;
  if (partsByMinute.size >= PARTS_CACHED) partsByMinute.clear();
  partsByMinute.set(key, out);
  return out;
}

/**
 * A duration for people, `ms` ≥ 0 (negative counts as 0): `45s`, `3m 05s`, `2h 05m`,
 * `3d 04h`. Truncates, never rounds up.
 */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${pad(h % 24)}h`;
}

/** How far `d` is from `now`, one unit: `just now`, `4m ago`, `2h ago`, `in 12m`. */
export function relativeTime(d: Date, now: Date): string {
  const diff = now.getTime() - d.getTime();
  const abs = Math.abs(diff);
  if (abs < 30_000) return "just now";
  const span =
    abs < 3_600_000
      ? `${Math.max(1, Math.round(abs / 60_000))}m`
      : abs < 86_400_000
        ? `${Math.floor(abs / 3_600_000)}h`
        : `${Math.floor(abs / 86_400_000)}d`;
  return diff >= 0 ? `${span} ago` : `in ${span}`;
}

/**
 * The clock time of `d` in `timeZone`: `18:08` on the same local day as `now`, else
 * `25 Nov 18:08` (the year added when it differs).
 */
export function clockTime(d: Date, now: Date, timeZone: string): string {
  const a = parts(d, timeZone);
  const b = parts(now, timeZone);
  const hm = `${a.hour}:${a.minute}`;
  if (a.year === b.year && a.month === b.month && a.day === b.day) return hm;
  return `${a.day} ${a.month}${a.year === b.year ? "" : ` ${a.year}`} ${hm}`;
}

/** `18:08 (4m ago)` / `18:20 (in 12m)`: {@link clockTime} with {@link relativeTime}. */
export function formatWhen(d: Date, now: Date, timeZone: string): string {
  return `${clockTime(d, now, timeZone)} (${relativeTime(d, now)})`;
}

/** The line that names the zone once per message: `Times in Asia/Taipei`. */
export function zoneNote(timeZone: string): string {
  return `<i>Times in ${escapeHtml(timeZone)}</i>`;
}

import { cutAt } from "./text-cut.ts";

/** Telegram's message limit in characters after entity parsing (Bot API sendMessage: 1-4096 characters after entities parsing). */
export const MESSAGE_LIMIT = 4096;

/** Escapes text for Telegram's HTML parse mode (`&`, `<`, `>`). */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Escapes an attribute value (also `"`). */
export function escapeAttr(s: string): string {
  return escapeHtml(s).replace(/"/g, "&quot;");
}

/**
 * One `Intl.DateTimeFormat` per time zone, built on first use: constructing one costs about
 * as much as formatting hundreds of dates, and alert messages format several each.
 */
const timeFormats = new Map<string, Intl.DateTimeFormat>();
function timeFormat(timeZone: string): Intl.DateTimeFormat {
  let f = timeFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    // Time zones come from configuration; a bounded map all the same.
    if (timeFormats.size < 64) timeFormats.set(timeZone, f);
  }
  return f;
}

/**
 * Formats an instant for people: `2026-11-23 08:33:28 (Asia/Taipei)` style, in `timeZone`,
 * without the zone suffix (callers add it where it matters).
 */
export function formatTime(d: Date, timeZone: string): string {
  const parts = timeFormat(timeZone).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")}`;
}

/** Short human duration: `45s`, `12m`, `3h 5m`, `2d 4h`. `ms` must be ≥ 0. */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/**
 * The ◀ n/m ▶ row that pages a list message in place (`page` 0-based, of `pages` ≥ 1; the
 * middle button redraws the page shown). `data(p)` is the callback data of page `p`.
 * @example pagerRow(0, 3, (p) => `incp:${p}`) // ◀ (incp:0), 1/3 (incp:0), ▶ (incp:1)
 */
export function pagerRow(
  page: number,
  pages: number,
  data: (page: number) => string,
): { text: string; callback_data: string }[] {
  return [
    { text: "◀", callback_data: data(Math.max(0, page - 1)) },
    { text: `${page + 1}/${pages}`, callback_data: data(page) },
    { text: "▶", callback_data: data(Math.min(pages - 1, page + 1)) },
  ];
}

/**
 * Cuts an HTML message to the limit without breaking a tag or an entity: drops whole lines
 * from the end, closes nothing (messages put tags within one line), and appends `note`.
 * Text measured as Telegram does after parsing is shorter, so this is conservative.
 */
export function truncateHtml(html: string, note: string, limit = MESSAGE_LIMIT): string {
  if (html.length <= limit) return html;
  const lines = html.split("\n");
  const tail = `\n… ${note}`;
  const out: string[] = [];
  let len = tail.length;
  for (const line of lines) {
    if (len + line.length + 1 > limit) break;
    out.push(line);
    len += line.length + 1;
  }
  if (out.length === 0)
    return (
      cutAt(escapeHtml(cutAt(stripTags(html), limit - tail.length)), limit - tail.length) + tail
    );
  return out.join("\n") + tail;
}

function stripTags(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

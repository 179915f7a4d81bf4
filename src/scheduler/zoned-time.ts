/** Wall-clock fields of an instant in an IANA time zone (`weekday`: 0 = Sunday). */
export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      weekday: "short",
      hourCycle: "h23",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock fields of `at` in `timeZone`. */
export function zonedParts(at: Date, timeZone: string): ZonedParts {
  const get = new Map<string, string>(
    formatter(timeZone)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const n = (t: string) => Number(get.get(t));
  return {
    year: n("year"),
    month: n("month"),
    day: n("day"),
    hour: n("hour") % 24,
    minute: n("minute"),
    second: n("second"),
    weekday: WEEKDAYS.indexOf(get.get("weekday") ?? ""),
  };
}

/** A local date (year, month 1–12, day) and a wall-clock time in minutes. */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** Offset of `timeZone` from UTC at `at`, in ms (Asia/Taipei: +8 h). */
function offsetMs(at: Date, timeZone: string): number {
  const p = zonedParts(at, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/**
 * The instant a wall-clock time happens in `timeZone`. Two passes over the offset, so a time
 * next to a DST change lands on the right side; a time skipped by DST maps to the hour after.
 */
export function zonedToInstant(t: LocalTime, timeZone: string): Date {
  const guess = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute);
  const first = guess - offsetMs(new Date(guess), timeZone);
  const second = guess - offsetMs(new Date(first), timeZone);
  return new Date(second);
}

/** The local date `days` after (or before) the given one, calendar arithmetic. */
export function addDays<T extends { year: number; month: number; day: number }>(
  d: T,
  days: number,
): T {
  const u = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return { ...d, year: u.getUTCFullYear(), month: u.getUTCMonth() + 1, day: u.getUTCDate() };
}

/** `YYYY-MM-DD` of a local date. */
export function isoDate(d: { year: number; month: number; day: number }): string {
  return `${d.year}-${pad(d.month)}-${pad(d.day)}`;
}

/** `HH:MM` of a local time. */
export function hhmm(t: { hour: number; minute: number }): string {
  return `${pad(t.hour)}:${pad(t.minute)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

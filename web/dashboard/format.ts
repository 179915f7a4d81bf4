/** Number and time formats for people (units in the function names). */

const int = new Intl.NumberFormat("en-US");

/** 12,345 */
export const fmtInt = (n: number): string => int.format(Math.round(n));

/** 1.2k, 3.4M for large counts; the integer below 10,000. */
export function fmtCompact(n: number): string {
  if (Math.abs(n) < 10_000) return fmtInt(n);
  return new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 }).format(
    n,
  );
}

/** $0.0123, $12.35: four decimals under a dollar. */
export function fmtUsd(n: number): string {
  return `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;
}

/** An axis tick in USD: $0.08, $0.1, $12 (no trailing zeros). */
export const fmtUsdTick = (n: number): string => `$${Number(n.toFixed(4))}`;

/** 0.873 → 87.3 %; null → – */
export const fmtPct = (x: number | null): string =>
  x === null ? "–" : `${(x * 100).toFixed(1)} %`;

/** A duration in ms as 45s, 12m, 3h 5m, 2d 4h; null → – */
export function fmtDurationMs(ms: number | null): string {
  if (ms === null) return "–";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** How long ago an ISO instant was, relative to now: "4m ago". */
export const fmtAgo = (iso: string): string => `${fmtDurationMs(Date.now() - Date.parse(iso))} ago`;

/** An ISO instant as `MM-DD HH:MM` in `timeZone`. */
export function fmtTime(iso: string | null, timeZone: string): string {
  if (!iso) return "–";
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(iso));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return `${get("month")}-${get("day")} ${get("hour")}:${get("minute")}`;
}

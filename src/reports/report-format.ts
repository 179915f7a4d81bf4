/** Number formats shared by digests (plain text; callers escape where needed). */

/** `1,234` */
export function int(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** USD: `$0.0123` under a dollar, `$12.34` above. */
export function usd(n: number): string {
  return `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;
}

/** Percent with at most one decimal: `87.5%`. */
export function pct(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

/** Signed change of a count: ` (+3)`, ` (−2)`, ` (±0)`; empty without a previous value. */
export function change(current: number, previous: number | undefined): string {
  if (previous === undefined) return "";
  const d = current - previous;
  if (d === 0) return " (±0)";
  return d > 0 ? ` (+${int(d)})` : ` (−${int(-d)})`;
}

/** Signed change in percentage points of two shares (0..1): ` (+4.2 pp)`. */
export function changePoints(current: number | null, previous: number | null | undefined): string {
  if (current === null || previous === null || previous === undefined) return "";
  const d = Math.round((current - previous) * 1000) / 10;
  if (d === 0) return " (±0 pp)";
  return d > 0 ? ` (+${d} pp)` : ` (−${-d} pp)`;
}

/**
 * Cutting text for people and for storage without splitting a character: the cut falls
 * between grapheme clusters (Unicode UAX #29, via `Intl.Segmenter`), so an emoji, a flag or
 * a letter with its combining marks is kept whole or dropped whole. A cut inside a UTF-16
 * surrogate pair would leave a lone surrogate, which Telegram refuses ("strings must be
 * encoded in UTF-8") and Postgres refuses in JSON ("invalid input syntax for type json").
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * The longest prefix of `s` made of whole grapheme clusters and at most `max` UTF-16 code
 * units long (JavaScript's `length`, the unit Telegram's limits count). `s` itself when it
 * fits.
 */
export function cutAt(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = 0;
  for (const { index, segment } of segmenter.segment(s)) {
    if (index + segment.length > max) break;
    end = index + segment.length;
  }
  return s.slice(0, end);
}

/**
 * `s` cut to at most `max` UTF-16 code units with `mark` (default `…`) at the end when
 * anything was dropped, never splitting a character; `s` itself when it fits.
 */
export function cutText(s: string, max: number, mark = "…"): string {
  if (s.length <= max) return s;
  return cutAt(s, Math.max(0, max - mark.length)) + mark;
}

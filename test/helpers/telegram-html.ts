/**
 * Telegram's parse_mode HTML as the Bot API parses it
 * (https://core.telegram.org/bots/api#html-style): the supported tags only, the four named
 * entities plus numeric ones, every tag closed in order. Used by the strict Bot API layer of
 * the tests to refuse what Telegram refuses, with Telegram's wording.
 */

/** Tags Telegram's HTML parse mode accepts. */
const TAGS = new Set([
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "span",
  "tg-spoiler",
  "a",
  "code",
  "pre",
  "blockquote",
  "tg-emoji",
]);

const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

/** Thrown for text Telegram would refuse; `message` is the Bot API's description. */
export class TelegramHtmlError extends Error {}

function fail(what: string): never {
  throw new TelegramHtmlError(`Bad Request: can't parse entities: ${what}`);
}

/** Decodes one entity at `html[i] === "&"`; returns the text and the index after it. */
function entity(html: string, i: number): [string, number] {
  const m = /^&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{1,10});/.exec(html.slice(i, i + 12));
  if (!m) fail(`Unescaped "&" at byte offset ${Buffer.byteLength(html.slice(0, i))}`);
  const name = m[1] as string;
  let out: string | undefined;
  if (name.startsWith("#x")) out = codePoint(Number.parseInt(name.slice(2), 16));
  else if (name.startsWith("#")) out = codePoint(Number.parseInt(name.slice(1), 10));
  else out = NAMED[name];
  if (out === undefined) fail(`Unsupported HTML entity "&${name};"`);
  return [out, i + m[0].length];
}

function codePoint(n: number): string | undefined {
  if (n <= 0 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return undefined;
  return String.fromCodePoint(n);
}

/**
 * Parses `html` as Telegram does; returns the plain text a user sees. Throws
 * {@link TelegramHtmlError} for an unsupported tag or entity, an unescaped `<` or `&`, an
 * end tag that does not close the innermost open tag, a tag left open, or a `span` without
 * `class="tg-spoiler"`.
 */
export function parseTelegramHtml(html: string): string {
  let out = "";
  const open: string[] = [];
  let i = 0;
  while (i < html.length) {
    const c = html[i] as string;
    if (c === "&") {
      const [text, next] = entity(html, i);
      out += text;
      i = next;
      continue;
    }
    if (c !== "<") {
      out += c;
      i++;
      continue;
    }
    const at = Buffer.byteLength(html.slice(0, i));
    const close = html.indexOf(">", i);
    if (close < 0) fail(`Unclosed start tag at byte offset ${at}`);
    const tag = html.slice(i + 1, close);
    if (tag.startsWith("/")) {
      const name = tag.slice(1).trim().toLowerCase();
      const expected = open.pop();
      if (expected === undefined) fail(`Unexpected end tag at byte offset ${at}`);
      if (name !== expected)
        fail(`Unmatched end tag at byte offset ${at}, expected "</${expected}>", found "<${tag}>"`);
    } else {
      const m = /^([a-zA-Z][a-zA-Z0-9-]*)(\s[\s\S]*)?$/.exec(tag);
      if (!m) fail(`Unsupported start tag "${tag}" at byte offset ${at}`);
      const name = (m[1] as string).toLowerCase();
      if (!TAGS.has(name)) fail(`Unsupported start tag "${name}" at byte offset ${at}`);
      const attrs = attributes(m[2] ?? "", at);
      if (name === "span" && attrs.class !== "tg-spoiler")
        fail(`Tag "span" must have class "tg-spoiler" at byte offset ${at}`);
      if (name === "a" && attrs.href === undefined) fail(`Tag "a" must have an href`);
      open.push(name);
    }
    i = close + 1;
  }
  const left = open.pop();
  if (left !== undefined) fail(`Can't find end tag corresponding to start tag "${left}"`);
  return out;
}

function attributes(s: string, at: number): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/y;
  let rest = s.trimEnd();
  while (rest.trim().length > 0) {
    re.lastIndex = 0;
    const m = re.exec(rest);
    if (!m) fail(`Expected equal sign in declaration of an attribute at byte offset ${at}`);
    const raw = m[2] ?? m[3] ?? m[4] ?? "";
    if (raw.includes("<")) fail(`Unexpected "<" in an attribute at byte offset ${at}`);
    out[(m[1] as string).toLowerCase()] = raw.includes("&") ? parseTelegramHtml(raw) : raw;
    rest = rest.slice(m[0].length);
  }
  return out;
}

/** True when `s` holds a UTF-16 surrogate without its pair (not encodable as UTF-8). */
export function hasLoneSurrogate(s: string): boolean {
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

import { InputError } from "../errors.ts";
import { type CompiledMatcher, parseMatcher } from "./matchers.ts";

/** What a person asks for with `/mute …`: matchers, a duration and a reason. */
export interface MuteSpec {
  matchers: CompiledMatcher[];
  durationMs: number;
  reason: string;
}

/** Shortest mute accepted: 1 minute. */
export const MUTE_MIN_MS = 60_000;
/** Longest mute accepted: 30 days. */
export const MUTE_MAX_MS = 30 * 24 * 3_600_000;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(?:\d+[smhd])+$/;

/**
 * Parses a duration like `90m`, `2h`, `1d`, `1h30m` into ms, or undefined when `text` is
 * not a duration. Bounds are checked by {@link checkDuration}.
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (!DURATION_RE.test(t)) return undefined;
  let ms = 0;
  for (const [, n, unit] of t.matchAll(/(\d+)([smhd])/g)) {
    ms += Number(n) * (UNIT_MS[unit as string] ?? 0);
  }
  return ms;
}

/** @throws InputError when `ms` is outside [{@link MUTE_MIN_MS}, {@link MUTE_MAX_MS}]. */
export function checkDuration(ms: number): number {
  if (ms < MUTE_MIN_MS || ms > MUTE_MAX_MS) {
    throw new InputError("a mute lasts between 1 minute and 30 days", { field: "duration" });
  }
  return ms;
}

/**
 * Splits on white space, keeping double-quoted stretches together
 * (`instance=~"momo app.*" 2h` → `instance=~"momo app.*"`, `2h`).
 */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "\\" && quoted && text[i + 1] === '"') {
      cur += '\\"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      cur += c;
    } else if (/\s/.test(c) && !quoted) {
      if (cur) tokens.push(cur);
      cur = "";
    } else cur += c;
  }
  if (quoted) throw new InputError("unbalanced double quote", { field: "matchers" });
  if (cur) tokens.push(cur);
  return tokens;
}

/**
 * Splits Alertmanager's matcher-set syntax, `{alertname="X", env=~"prod.*"}`, into its
 * matchers (commas inside double quotes do not split).
 * @throws InputError for an unclosed brace or a malformed matcher.
 */
export function parseMatcherSet(text: string): { matchers: CompiledMatcher[]; rest: string } {
  const t = text.trimStart();
  let quoted = false;
  let end = -1;
  for (let i = 1; i < t.length; i++) {
    const c = t[i];
    if (c === "\\" && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === "}" && !quoted) {
      end = i;
      break;
    }
  }
  if (!t.startsWith("{") || end < 0) {
    throw new InputError('unclosed {…}: write {alertname="X", env=~"prod.*"}', {
      field: "matchers",
    });
  }
  const parts: string[] = [];
  let cur = "";
  quoted = false;
  for (let i = 1; i < end; i++) {
    const c = t[i] as string;
    if (c === "\\" && quoted) {
      cur += c + (t[i + 1] ?? "");
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      cur += c;
    } else if (c === "," && !quoted) {
      parts.push(cur);
      cur = "";
    } else cur += c;
  }
  parts.push(cur);
  const matchers = parts
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map(parseMatcher);
  return { matchers, rest: t.slice(end + 1) };
}

/**
 * Parses the one-line form of /mute: matchers, then a duration, then the reason. Matchers
 * come as amtool writes them (`alertname=HighErrorRate instance=~"momo.*" 2h deploy`), in
 * Alertmanager's braces (`{alertname="X", env=~"prod.*"} 2h`), or as amtool's shorthand: a
 * first word without an operator is the alert name (`TargetDown 2h` = `alertname=TargetDown`).
 * @throws InputError naming what is missing or malformed.
 */
export function parseMuteLine(text: string): MuteSpec {
  const matchers: CompiledMatcher[] = [];
  let rest = text;
  if (text.trimStart().startsWith("{")) {
    const set = parseMatcherSet(text);
    matchers.push(...set.matchers);
    rest = set.rest;
  }
  const tokens = tokenize(rest);
  let i = 0;
  const first = tokens[0];
  if (
    matchers.length === 0 &&
    first !== undefined &&
    /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(first) &&
    parseDuration(first) === undefined
  ) {
    matchers.push(parseMatcher(`alertname=${first}`));
    i = 1;
  }
  for (; i < tokens.length; i++) {
    const tok = tokens[i] as string;
    if (parseDuration(tok) !== undefined) break;
    matchers.push(parseMatcher(tok));
  }
  if (matchers.length === 0) {
    throw new InputError("give at least one matcher, e.g. alertname=HighErrorRate", {
      field: "matchers",
    });
  }
  const duration = tokens[i] === undefined ? undefined : parseDuration(tokens[i] as string);
  if (duration === undefined) {
    throw new InputError("give a duration after the matchers, e.g. 2h", { field: "duration" });
  }
  return {
    matchers,
    durationMs: checkDuration(duration),
    reason: tokens.slice(i + 1).join(" "),
  };
}

/**
 * Parses a line of matchers only (the first step of the /mute conversation), in amtool form,
 * Alertmanager braces, or a bare alert name.
 */
export function parseMatcherLine(text: string): CompiledMatcher[] {
  if (text.trimStart().startsWith("{")) {
    const set = parseMatcherSet(text);
    if (set.rest.trim() !== "") {
      throw new InputError(`unexpected "${set.rest.trim()}" after }`, { field: "matchers" });
    }
    if (set.matchers.length === 0) throw new InputError("no matcher given", { field: "matchers" });
    return set.matchers;
  }
  const tokens = tokenize(text);
  if (tokens.length === 1 && /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(tokens[0] as string)) {
    return [parseMatcher(`alertname=${tokens[0]}`)];
  }
  const matchers = tokens.map(parseMatcher);
  if (matchers.length === 0) throw new InputError("no matcher given", { field: "matchers" });
  return matchers;
}

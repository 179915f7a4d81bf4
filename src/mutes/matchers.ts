import { MATCHER_OPS, type Matcher } from "../../db/schema/index.ts";
import { InputError } from "../errors.ts";

export type { Matcher };

/** A matcher ready to evaluate: regex operators carry their compiled, anchored pattern. */
export interface CompiledMatcher extends Matcher {
  regex?: RegExp;
}

/**
 * Compiles a matcher. Regex values are anchored at both ends, as Alertmanager does
 * (`instance=~"momo.*"` matches `momo-app:80`, not `x-momo`).
 * @throws InputError when the regex does not compile.
 */
export function compileMatcher(m: Matcher): CompiledMatcher {
  if (m.op !== "=~" && m.op !== "!~") return m;
  try {
    return { ...m, regex: new RegExp(`^(?:${m.value})$`) };
  } catch (err) {
    throw new InputError(`${m.name}: invalid regular expression: ${(err as Error).message}`, {
      field: m.name,
    });
  }
}

/**
 * True when `labels` satisfy the matcher. A missing label reads as the empty string, so
 * `team!="ops"` matches an event without `team` (Alertmanager semantics).
 */
export function matchOne(m: CompiledMatcher, labels: Readonly<Record<string, string>>): boolean {
  const v = labels[m.name] ?? "";
  switch (m.op) {
    case "=":
      return v === m.value;
    case "!=":
      return v !== m.value;
    case "=~":
      return (m.regex ?? compileMatcher(m).regex)?.test(v) ?? false;
    case "!~":
      return !((m.regex ?? compileMatcher(m).regex)?.test(v) ?? false);
  }
}

/** True when every matcher holds (an empty list matches nothing, so it can never mute all). */
export function matchAll(
  matchers: readonly CompiledMatcher[],
  labels: Readonly<Record<string, string>>,
): boolean {
  return matchers.length > 0 && matchers.every((m) => matchOne(m, labels));
}

const MATCHER_RE = /^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)(.*)$/;

/**
 * Parses one matcher written as in amtool: `name=value`, `name!=value`, `name=~regex`,
 * `name!~regex`; the value may be double-quoted (`instance=~"momo.*"`).
 * @throws InputError naming the matcher when it is malformed or its regex is invalid.
 */
export function parseMatcher(text: string): CompiledMatcher {
  const m = MATCHER_RE.exec(text.trim());
  if (!m) {
    throw new InputError(`"${text}" is not a matcher (expected name=value, name=~regex …)`, {
      field: "matchers",
    });
  }
  const [, name, op, raw] = m as unknown as [string, string, Matcher["op"], string];
  let value = raw;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1).replace(/\\"/g, '"');
  }
  if (!MATCHER_OPS.includes(op)) throw new InputError(`unknown operator ${op}`);
  return compileMatcher({ name, op, value });
}

/** Writes a matcher back in amtool form, quoting values that need it. */
export function formatMatcher(m: Matcher): string {
  const quote = m.value === "" || /[\s"]/.test(m.value) || m.op.endsWith("~");
  return `${m.name}${m.op}${quote ? `"${m.value.replace(/"/g, '\\"')}"` : m.value}`;
}

import type { FastifyInstance } from "fastify";
import { InputError } from "../errors.ts";

/**
 * Deepest nesting of arrays and objects a JSON body may have. Real bodies stay far below
 * (an OpenAI request with tool schemas nests about 10 deep); a deeper one would overflow
 * the stack of the recursive code that handles it later (JSON.stringify, validation).
 */
export const MAX_BODY_DEPTH = 64;

/** U+0000, or a UTF-16 surrogate without its pair (not encodable as UTF-8). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding U+0000 is this pattern's job.
const HOSTILE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const HOSTILE_ALL = new RegExp(HOSTILE.source, "g");

/** What {@link inspectInput} found wrong, with the field's path (`alerts[0].labels.instance`). */
export interface InputProblem {
  field: string;
  message: string;
}

/** One object or array still to walk; its path is built only when a problem is reported. */
interface Frame {
  v: object;
  depth: number;
  parent: Frame | undefined;
  /** Its key in the parent. */
  key: string;
}

/** The path of `key` inside `frame`'s object: `a.b`, `a[0]`, `key` at the top. */
function fieldOf(frame: Frame, key: string): string {
  const path = pathOf(frame);
  if (Array.isArray(frame.v)) return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** The path of `frame`'s object itself ("" at the top). */
function pathOf(frame: Frame): string {
  return frame.parent === undefined ? "" : fieldOf(frame.parent, frame.key);
}

/**
 * Walks `value` (iteratively, so a deep body cannot overflow the stack) and returns the first
 * problem: nesting deeper than {@link MAX_BODY_DEPTH}, or a string or key holding a NUL or an
 * unpaired surrogate, which Postgres refuses in text and JSON ("invalid byte sequence",
 * "unsupported Unicode escape sequence") and Telegram refuses in messages. With `sanitize`,
 * such characters are replaced in place by U+FFFD instead (only depth is then a problem).
 * With `depthOnly` (the value was parsed from JSON text that {@link jsonTextMayHoldHostile}
 * cleared), only the depth is checked.
 */
export function inspectInput(
  value: unknown,
  opts: { sanitize?: boolean; depthOnly?: boolean } = {},
): InputProblem | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const checkText = opts.depthOnly !== true;
  // Depth only: a walk that allocates nothing; the path is built by the walk below when deep.
  if (!checkText && !deeperThanLimit(value, 0)) return undefined;
  const stack: Frame[] = [{ v: value, depth: 0, parent: undefined, key: "" }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    if (frame.depth >= MAX_BODY_DEPTH) {
      return {
        field: pathOf(frame) || "body",
        message: `nested deeper than ${MAX_BODY_DEPTH} levels`,
      };
    }
    const obj = frame.v as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (checkText && HOSTILE.test(key) && !opts.sanitize) {
        return { field: fieldOf(frame, key), message: badChars("key") };
      }
      const x = obj[key];
      if (typeof x === "string") {
        if (checkText && HOSTILE.test(x)) {
          if (!opts.sanitize) return { field: fieldOf(frame, key), message: badChars("value") };
          obj[key] = x.replace(HOSTILE_ALL, "\ufffd");
        }
      } else if (x !== null && typeof x === "object") {
        stack.push({ v: x, depth: frame.depth + 1, parent: frame, key });
      }
    }
  }
  return undefined;
}

/** Whether `v` nests deeper than {@link MAX_BODY_DEPTH} (the recursion stops at that depth). */
function deeperThanLimit(v: unknown, depth: number): boolean {
  if (v === null || typeof v !== "object") return false;
  if (depth >= MAX_BODY_DEPTH) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (deeperThanLimit(v[i], depth + 1)) return true;
    return false;
  }
  const obj = v as Record<string, unknown>;
  for (const key in obj) if (deeperThanLimit(obj[key], depth + 1)) return true;
  return false;
}

/**
 * Whether JSON text can hold what {@link inspectInput} looks for in strings and keys. Text
 * decoded from UTF-8 has no unpaired surrogate (the decoder puts U+FFFD for bytes that are
 * not UTF-8, encoded surrogates included) and JSON allows no raw U+0000 (RFC 8259, section 7:
 * control characters must be escaped), so both can only come from a `\u` escape. Without
 * one, `inspectInput(value, { depthOnly: true })` says the same as the full walk.
 */
export function jsonTextMayHoldHostile(text: string): boolean {
  return text.includes("\\u");
}

function badChars(what: string): string {
  return `${what} holds a NUL character or an unpaired UTF-16 surrogate (not valid text)`;
}

/** Routes whose sender cannot fix its input and retries a 400 forever: sanitised instead. */
const SANITISED = [/^\/webhooks\/alertmanager(\?|$)/, /^\/telegram\//];

/**
 * Installs the hostile-input check on every route (a `preValidation` hook, before any
 * handler or schema): a body or query with a NUL, an unpaired surrogate, or nesting deeper
 * than {@link MAX_BODY_DEPTH} is a 400 naming the field. The Alertmanager webhook and the
 * Telegram webhook have their strings sanitised to U+FFFD instead (a 400 there would make
 * Alertmanager retry the whole group forever and lose its good alerts); deep nesting is a
 * 400 there too. See docs/operations.md.
 */
export function rejectHostileInput(app: FastifyInstance): void {
  app.addHook("preValidation", async (req) => {
    const sanitize = SANITISED.some((re) => re.test(req.url));
    for (const [where, v] of [
      ["path", req.params],
      ["query", req.query],
      ["body", typeof req.body === "string" ? { body: req.body } : req.body],
    ] as const) {
      const problem = inspectInput(v, { sanitize });
      if (problem)
        throw new InputError(`${where} field ${problem.field}: ${problem.message}`, {
          field: problem.field,
        });
    }
  });
}

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

/**
 * Walks `value` (iteratively, so a deep body cannot overflow the stack) and returns the first
 * problem: nesting deeper than {@link MAX_BODY_DEPTH}, or a string or key holding a NUL or an
 * unpaired surrogate, which Postgres refuses in text and JSON ("invalid byte sequence",
 * "unsupported Unicode escape sequence") and Telegram refuses in messages. With `sanitize`,
 * such characters are replaced in place by U+FFFD instead (only depth is then a problem).
 */
export function inspectInput(
  value: unknown,
  opts: { sanitize?: boolean } = {},
): InputProblem | undefined {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: "", depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop() as { v: unknown; path: string; depth: number };
    if (v === null || typeof v !== "object") continue;
    if (depth >= MAX_BODY_DEPTH)
      return { field: path || "body", message: `nested deeper than ${MAX_BODY_DEPTH} levels` };
    const obj = v as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const field = Array.isArray(v) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (HOSTILE.test(key)) {
        if (!opts.sanitize) return { field, message: badChars("key") };
      }
      const x = obj[key];
      if (typeof x === "string") {
        if (HOSTILE.test(x)) {
          if (!opts.sanitize) return { field, message: badChars("value") };
          obj[key] = x.replace(HOSTILE_ALL, "\ufffd");
        }
      } else if (x !== null && typeof x === "object") {
        stack.push({ v: x, path: field, depth: depth + 1 });
      }
    }
  }
  return undefined;
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

import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError, InputError } from "../errors.ts";
import { type CompiledMatcher, parseMatcher } from "../mutes/matchers.ts";

/**
 * Where a notification goes in Telegram: a chat, and in a forum supergroup optionally one
 * topic (sent as `message_thread_id`, https://core.telegram.org/bots/api#sendmessage).
 */
export interface ChatTarget {
  chatId: number;
  /** Forum topic id, or null for the chat itself. */
  threadId: number | null;
}

/** A named set of chats (Alertmanager calls it a receiver). */
export interface Receiver {
  name: string;
  chats: ChatTarget[];
}

/** One step of an escalation: after `afterMs` unacknowledged, `receiver` is told too. */
export interface EscalationStep {
  afterMs: number;
  receiver: string;
}

/** One route: matchers over labels plus `kind`, the receiver, and its timers. */
export interface Route {
  /** Position in the configured list (0-based), shown by /routes and in errors. */
  index: number;
  matchers: CompiledMatcher[];
  receiver: string;
  /** Keep looking at later routes after this one matched. */
  continue: boolean;
  /** Re-announce a still-firing, unacknowledged alert this often (ms), or null. */
  repeatIntervalMs: number | null;
  escalate: EscalationStep[];
  /**
   * Label names whose values form the group key (Alertmanager's route `group_by`): alerts of
   * one key announced together share one message. `["..."]` groups by every label, that is
   * not at all; null (unset) keeps the default (src/events/group-key.ts).
   */
  groupBy: string[] | null;
}

/** The parsed `NOTIFY_ROUTES`: receivers by name, ordered routes, the default receiver. */
export interface RoutesConfig {
  receivers: Map<string, Receiver>;
  routes: Route[];
  defaultReceiver: string;
}

/** `<chat id>` or `<chat id>:<forum topic id>`; chat ids of groups are negative. */
const CHAT_RE = /^(-?\d{1,20})(?::(\d{1,10}))?$/;

const chatSchema = z.union([z.string(), z.number().int()]).transform((v, ctx): ChatTarget => {
  const m = CHAT_RE.exec(String(v).trim());
  if (!m) {
    ctx.addIssue({ code: "custom", message: `"${v}" is not <chat id> or <chat id>:<topic id>` });
    return z.NEVER;
  }
  return { chatId: Number(m[1]), threadId: m[2] === undefined ? null : Number(m[2]) };
});

const seconds = z
  .number()
  .int()
  .min(1)
  .max(30 * 86_400);

const fileSchema = z
  .object({
    receivers: z.record(
      z.string().regex(/^[\w.-]{1,40}$/, "receiver names are 1–40 of A-Z a-z 0-9 _ . -"),
      z.object({ chats: z.array(chatSchema).min(1, "at least one chat") }).strict(),
    ),
    routes: z
      .array(
        z
          .object({
            match: z.array(z.string()).default([]),
            receiver: z.string(),
            continue: z.boolean().default(false),
            repeat_interval_s: seconds.optional(),
            group_by: z
              .array(
                z
                  .string()
                  .regex(
                    /^([a-zA-Z_][a-zA-Z0-9_]*|\.\.\.)$/,
                    'a label name (A-Z a-z 0-9 _, not starting with a digit) or "..."',
                  ),
              )
              .refine((l) => !l.includes("...") || l.length === 1, '"..." must stand alone')
              .optional(),
            escalate: z
              .array(z.object({ after_s: seconds, receiver: z.string() }).strict())
              .default([]),
          })
          .strict(),
      )
      .default([]),
    default_receiver: z.string(),
  })
  .strict();

/** Turns a zod issue path (`["routes", 1, "escalate", 0, "receiver"]`) into `routes[1].escalate[0].receiver`. */
function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
    .join("");
}

/**
 * Parses and checks a routes document (already decoded from JSON or YAML): every receiver a
 * route, an escalation step or `default_receiver` names must exist, every matcher must parse
 * (mute syntax, src/mutes/matchers.ts).
 * @throws InputError whose message names the place, e.g. `routes[1].match[0]: "x" is not a matcher`.
 */
export function parseRoutesDocument(doc: unknown): RoutesConfig {
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = pathText(issue?.path ?? []);
    throw new InputError(`${where || "document"}: ${issue?.message ?? "invalid"}`);
  }
  const f = parsed.data;
  const receivers = new Map<string, Receiver>(
    Object.entries(f.receivers).map(([name, r]) => [name, { name, chats: r.chats }]),
  );
  const known = (name: string, where: string) => {
    if (!receivers.has(name)) throw new InputError(`${where}: unknown receiver "${name}"`);
  };
  known(f.default_receiver, "default_receiver");
  const routes = f.routes.map((r, index): Route => {
    known(r.receiver, `routes[${index}].receiver`);
    r.escalate.forEach((s, i) => {
      known(s.receiver, `routes[${index}].escalate[${i}].receiver`);
    });
    const matchers = r.match.map((text, i) => {
      try {
        return parseMatcher(text);
      } catch (err) {
        throw new InputError(`routes[${index}].match[${i}]: ${(err as Error).message}`);
      }
    });
    return {
      index,
      matchers,
      receiver: r.receiver,
      continue: r.continue,
      repeatIntervalMs: r.repeat_interval_s === undefined ? null : r.repeat_interval_s * 1000,
      escalate: r.escalate
        .map((s) => ({ afterMs: s.after_s * 1000, receiver: s.receiver }))
        .sort((a, b) => a.afterMs - b.afterMs),
      groupBy: r.group_by ? [...new Set(r.group_by)] : null,
    };
  });
  return { receivers, routes, defaultReceiver: f.default_receiver };
}

/**
 * Reads the routes from `NOTIFY_ROUTES` (JSON) or `NOTIFY_ROUTES_FILE` (a path to JSON or
 * YAML; YAML 1.2 is a superset of JSON, so one parser reads both). Neither set → undefined
 * (every notification goes to `TELEGRAM_ALERT_CHAT_IDS`).
 * @throws ConfigError naming the variable, the route index and the field, on one line.
 */
export function loadRoutes(env: {
  NOTIFY_ROUTES?: string;
  NOTIFY_ROUTES_FILE?: string;
}): RoutesConfig | undefined {
  const inline = env.NOTIFY_ROUTES?.trim();
  const file = env.NOTIFY_ROUTES_FILE?.trim();
  if (inline && file)
    throw new ConfigError("NOTIFY_ROUTES", "set it or NOTIFY_ROUTES_FILE, not both");
  const variable = inline ? "NOTIFY_ROUTES" : "NOTIFY_ROUTES_FILE";
  let doc: unknown;
  if (inline) {
    try {
      doc = JSON.parse(inline);
    } catch (err) {
      throw new ConfigError(variable, `not JSON: ${(err as Error).message}`);
    }
  } else if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new ConfigError(
        variable,
        `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      );
    }
    try {
      doc = parseYaml(text);
    } catch (err) {
      throw new ConfigError(
        variable,
        `${file}: not JSON or YAML: ${(err as Error).message.split("\n")[0]}`,
      );
    }
  } else return undefined;
  try {
    return parseRoutesDocument(doc);
  } catch (err) {
    if (err instanceof InputError) throw new ConfigError(variable, err.message);
    throw err;
  }
}

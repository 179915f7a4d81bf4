import { z } from "zod";
import { AIDER_EVENT_TYPES, type AiderEventType } from "../../db/schema/index.ts";
import { parseInput } from "../validation.ts";

/**
 * The aider-watch event contract of `POST /api/aider/events` (docs/aider-watch.md):
 * the client `aiderw` sends one event or an array of them, each
 * `{ id, ts, session_id, type, payload }`. Payload fields are validated per type; fields this
 * server does not know are kept (stored) so a newer client is not refused.
 */

/** Most events in one request (a buffer flush sends several requests if it holds more). */
export const MAX_AIDER_BATCH = 500;

/** Ids chosen by the client (ULIDs, UUIDs, `<ulid>_<repo>_<pid>`): no spaces, no controls. */
const clientId = z
  .string()
  .min(1, "must not be empty")
  .max(200, "at most 200 characters")
  .regex(/^[^\s\p{Cc}]+$/u, "must not contain spaces or control characters");

const text = (max: number) => z.string().max(max, `at most ${max} characters`);
/** Largest value of the integer columns these land in (Postgres `integer`). */
const INT_MAX = 2_147_483_647;
const count = z
  .number()
  .int("expected an integer")
  .nonnegative("must be ≥ 0")
  .max(INT_MAX, `at most ${INT_MAX}`);
/** Measured quantities the client may compute as floats (`4.2k` tokens → 4200.000000001). */
const amount = z.number().nonnegative("must be ≥ 0").max(INT_MAX, `at most ${INT_MAX}`);

/** The envelope of one event; the payload is checked by {@link PAYLOAD_SCHEMAS}. */
const envelopeSchema = z.object({
  id: clientId,
  ts: z.iso.datetime({
    offset: true,
    local: false,
    message: "expected an RFC 3339 time with offset",
  }),
  session_id: clientId,
  type: z.enum(AIDER_EVENT_TYPES, { message: `expected one of ${AIDER_EVENT_TYPES.join(", ")}` }),
  payload: z.record(z.string(), z.unknown(), { message: "expected an object" }),
});

/** Payload schemas per event type (docs/aider-watch.md, Types and payloads). */
export const PAYLOAD_SCHEMAS = {
  /** From aider's banner. `host` (the client machine, stored on the session) is optional. */
  session_start: z.looseObject({
    cwd: text(4096).min(1, "must not be empty"),
    model: text(500).nullable(),
    aider_args: z.array(text(4096)).max(500, "at most 500 arguments"),
    aider_pid: count.nullable(),
    cli_version: text(100).nullable(),
    host: text(255).nullish(),
  }),
  /** One file's change since the session started (`git diff --numstat` + a few diff lines). */
  file_edit: z.looseObject({
    path: text(4096).min(1, "must not be empty"),
    lines_added: count,
    lines_deleted: count,
    diff_head: text(4000),
    is_new_file: z.boolean(),
  }),
  /** An error seen in aider's output or exit. */
  error: z.looseObject({
    kind: z.enum(["api_rate_limit", "api_auth", "build_fail", "unknown"], {
      message: "expected api_rate_limit, api_auth, build_fail or unknown",
    }),
    message: text(4000),
    context_50chars: text(1000),
  }),
  /** A commit made during the session. */
  commit: z.looseObject({
    sha: z.string().regex(/^[0-9a-fA-F]{4,64}$/, "expected a hex commit id"),
    message: text(4000),
    author: text(500),
    files: z.array(text(4096)).max(5000, "at most 5000 files"),
  }),
  /** No output for `idle_sec` seconds. */
  silent_timeout: z.looseObject({
    idle_sec: amount,
    last_output_tail: text(4000),
  }),
  /** The run ended: totals for the session (tokens and cost from aider's `Tokens:` lines). */
  session_end: z.looseObject({
    duration_sec: amount,
    tokens_sent: amount,
    tokens_received: amount,
    /** USD. */
    cost_usd: z.number().nonnegative("must be ≥ 0").max(1e9, "at most 1e9"),
    files_changed: count,
    error_count: count,
    /** aider's exit code; null when it was killed by a signal. */
    exit_code: z.number().int("expected an integer").min(-INT_MAX).max(INT_MAX).nullable(),
  }),
  /** A chunk of raw output: stored, never sent to the chat. */
  raw: z.looseObject({ chunk: text(100_000) }),
} satisfies Record<AiderEventType, z.ZodType>;

/** The payload of each type, as parsed. */
export type AiderPayloads = { [K in AiderEventType]: z.output<(typeof PAYLOAD_SCHEMAS)[K]> };

/** One validated event; `type` narrows `payload`. */
export type AiderEvent = {
  [K in AiderEventType]: {
    id: string;
    ts: Date;
    sessionId: string;
    type: K;
    payload: AiderPayloads[K];
  };
}[AiderEventType];

/**
 * Postgres text and jsonb cannot hold U+0000; terminal output occasionally does. Replaced by
 * U+FFFD in every string of a payload, so such a chunk is stored instead of failing the batch.
 */
function withoutNul<T>(v: T): T {
  if (typeof v === "string") return v.replaceAll("\u0000", "\uFFFD") as T;
  if (Array.isArray(v)) return v.map(withoutNul) as T;
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [withoutNul(k), withoutNul(x)]),
    ) as T;
  }
  return v;
}

function parseOne(input: unknown, prefix: string): AiderEvent {
  const env = parseInput(envelopeSchema, input, prefix);
  const payload = parseInput(
    PAYLOAD_SCHEMAS[env.type] as z.ZodType,
    env.payload,
    [prefix, "payload"].filter(Boolean).join("."),
  );
  return {
    id: env.id,
    ts: new Date(env.ts),
    sessionId: env.session_id,
    type: env.type,
    payload: withoutNul(payload),
  } as AiderEvent;
}

/**
 * Validates a `POST /api/aider/events` body: one event or an array of 1 to
 * {@link MAX_AIDER_BATCH}. All or nothing: the first bad field of any event refuses the lot.
 * @throws InputError (400) naming the field, e.g. `payload.kind` or `1.payload.lines_added`.
 */
export function parseAiderEvents(body: unknown): AiderEvent[] {
  if (!Array.isArray(body)) return [parseOne(body, "")];
  parseInput(
    z
      .array(z.unknown())
      .min(1, "at least one event")
      .max(MAX_AIDER_BATCH, `at most ${MAX_AIDER_BATCH} events`),
    body,
  );
  return body.map((e, i) => parseOne(e, String(i)));
}

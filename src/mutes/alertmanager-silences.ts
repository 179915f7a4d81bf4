import { z } from "zod";
import { coerceError } from "../errors.ts";
import type { Matcher } from "./matchers.ts";

/** A silence as Alertmanager's API v2 lists it (the fields shown in /mutes). */
export interface Silence {
  id: string;
  state: "active" | "pending" | "expired";
  matchers: Matcher[];
  startsAt: Date;
  endsAt: Date;
  createdBy: string;
  comment: string;
}

/** A silence to create. */
export interface NewSilence {
  matchers: readonly Matcher[];
  startsAt: Date;
  endsAt: Date;
  createdBy: string;
  comment: string;
}

/** Alertmanager's silences API, as mutes use it. */
export interface SilenceClient {
  /** The Alertmanager base URL (shown in replies). */
  readonly baseUrl: string;
  /** Creates a silence; resolves to its id. @throws SilenceError */
  create(s: NewSilence): Promise<string>;
  /** Expires silence `id` (Alertmanager keeps it, state `expired`). @throws SilenceError */
  expire(id: string): Promise<void>;
  /** Silences that are active or pending. @throws SilenceError */
  listActive(): Promise<Silence[]>;
}

/** Alertmanager did not answer, or answered with an error; `message` says which, in one line. */
export class SilenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SilenceError";
  }
}

const silenceSchema = z.object({
  id: z.string(),
  status: z.object({ state: z.enum(["active", "pending", "expired"]) }),
  matchers: z.array(
    z.object({
      name: z.string(),
      value: z.string(),
      isRegex: z.boolean(),
      isEqual: z.boolean().default(true),
    }),
  ),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
});

/** Our operator from Alertmanager's `isRegex` / `isEqual` pair, and back. */
function opOf(m: { isRegex: boolean; isEqual: boolean }): Matcher["op"] {
  if (m.isRegex) return m.isEqual ? "=~" : "!~";
  return m.isEqual ? "=" : "!=";
}

/**
 * A client of Alertmanager's API v2 silences endpoints
 * (https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml):
 * `POST /api/v2/silences`, `DELETE /api/v2/silence/{id}`, `GET /api/v2/silences`. Each call
 * gives up after `timeoutMs` (default 3 s) so a mute never waits long on an unreachable
 * Alertmanager.
 */
export function createSilenceClient(opts: { baseUrl: string; timeoutMs?: number }): SilenceClient {
  const base = opts.baseUrl.replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? 3000;

  async function request(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? undefined : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const e = coerceError(err);
      const cause = (e.cause as { code?: string } | undefined)?.code;
      throw new SilenceError(`unreachable (${cause ?? e.name})`);
    }
    const text = await res.text();
    if (!res.ok) throw new SilenceError(`HTTP ${res.status}: ${text.trim().slice(0, 200)}`);
    return text ? JSON.parse(text) : undefined;
  }

  return {
    baseUrl: base,
    async create(s) {
      const answer = (await request("POST", "/api/v2/silences", {
        matchers: s.matchers.map((m) => ({
          name: m.name,
          value: m.value,
          isRegex: m.op.endsWith("~"),
          isEqual: !m.op.startsWith("!"),
        })),
        startsAt: s.startsAt.toISOString(),
        endsAt: s.endsAt.toISOString(),
        createdBy: s.createdBy,
        comment: s.comment,
      })) as { silenceID?: string } | undefined;
      if (!answer?.silenceID) throw new SilenceError("answer without silenceID");
      return answer.silenceID;
    },
    async expire(id) {
      await request("DELETE", `/api/v2/silence/${encodeURIComponent(id)}`);
    },
    async listActive() {
      const parsed = z.array(silenceSchema).safeParse(await request("GET", "/api/v2/silences"));
      if (!parsed.success) throw new SilenceError("unexpected answer to GET /api/v2/silences");
      return parsed.data
        .filter((s) => s.status.state !== "expired")
        .map((s) => ({
          id: s.id,
          state: s.status.state,
          matchers: s.matchers.map((m) => ({ name: m.name, op: opOf(m), value: m.value })),
          startsAt: new Date(s.startsAt),
          endsAt: new Date(s.endsAt),
          createdBy: s.createdBy,
          comment: s.comment,
        }));
    },
  };
}

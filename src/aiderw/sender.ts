import type { WatchEvent } from "./events.ts";

/**
 * Sends events to `POST {COMMANDPOST_URL}/api/aider/events` (contract: docs/aider-watch.md): bearer
 * `COMMANDPOST_INGEST_TOKEN`, body one event or an array. 202 = stored (idempotent by event id, so
 * a re-send is safe); 400 = a bad event (never retried: kept as rejected); 401, 404, 5xx and
 * network failures = try again later (the buffer).
 */

/** Where to send; `url` without the path, e.g. `http://127.0.0.1:8080`. */
export interface Target {
  url: string;
  token: string;
}

/** The answer to one POST. */
export type PostOutcome =
  | { kind: "accepted" }
  /** The server refused these events as bad (400, 413, 422): resending will not help. */
  | { kind: "rejected"; status: number; error: string }
  /** The server is there but would not take them now (401, 403, 404, 5xx …). */
  | { kind: "refused"; status: number; error: string }
  /** No answer: connection refused, DNS, timeout. */
  | { kind: "unreachable"; error: string };

/** Most events per request and most bytes (the server takes 500 and 1 MiB). */
export const MAX_BATCH_EVENTS = 100;
export const MAX_BATCH_BYTES = 512 * 1024;

/** The events endpoint for a base URL (a trailing `/` is fine). */
export function eventsUrl(base: string): string {
  return `${base.replace(/\/+$/, "")}/api/aider/events`;
}

/** One POST of `body` (an event array, or `[]` for doctor's token check). */
export async function postEvents(
  target: Target,
  body: unknown,
  timeoutMs: number,
): Promise<PostOutcome> {
  let res: Response;
  try {
    res = await fetch(eventsUrl(target.url), {
      method: "POST",
      headers: { authorization: `Bearer ${target.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    return { kind: "unreachable", error: describeFetchError(err, timeoutMs) };
  }
  const text = await res.text().catch(() => "");
  if (res.status >= 200 && res.status < 300) return { kind: "accepted" };
  const error = `HTTP ${res.status}${serverMessage(text)}`;
  if (res.status === 400 || res.status === 413 || res.status === 422) {
    return { kind: "rejected", status: res.status, error };
  }
  return { kind: "refused", status: res.status, error };
}

/** `fetch failed (ECONNREFUSED)` / `timed out after 2000 ms`. */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string }) : null;
  const msg = err instanceof Error ? err.message : String(err);
  const why = cause?.code ?? cause?.message;
  return why ? `${msg} (${why})` : msg;
}

function serverMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: string } | string };
    const m = typeof j.error === "string" ? j.error : j.error?.message;
    return m ? `: ${String(m).slice(0, 300)}` : "";
  } catch {
    return "";
  }
}

/** What became of a set of events. */
export interface DeliveryResult {
  accepted: WatchEvent[];
  rejected: Array<{ event: WatchEvent; error: string }>;
  /** Not sent or not taken: to keep for later. */
  pending: WatchEvent[];
  /** Why `pending` is not empty (the first failure), or null. */
  failure: string | null;
  /** The HTTP status of that failure, if it had one (401 = wrong token). */
  failureStatus: number | null;
}

/** Splits events into requests of at most {@link MAX_BATCH_EVENTS} and ~{@link MAX_BATCH_BYTES}. */
export function chunk(events: WatchEvent[]): WatchEvent[][] {
  const out: WatchEvent[][] = [];
  let cur: WatchEvent[] = [];
  let bytes = 0;
  for (const e of events) {
    const size = Buffer.byteLength(JSON.stringify(e));
    if (cur.length && (cur.length >= MAX_BATCH_EVENTS || bytes + size > MAX_BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(e);
    bytes += size;
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * Delivers events in batches, in order. A batch refused as bad is split in halves until
 * the bad events are found (those are `rejected`, the rest delivered). At the first
 * refusal or silence the rest is `pending`: nothing is lost, nothing retried in a loop.
 */
export async function deliver(
  target: Target,
  events: WatchEvent[],
  timeoutMs: number,
): Promise<DeliveryResult> {
  const result: DeliveryResult = {
    accepted: [],
    rejected: [],
    pending: [],
    failure: null,
    failureStatus: null,
  };
  const queue = chunk(events);
  while (queue.length) {
    const batch = queue.shift() ?? [];
    if (result.failure) {
      result.pending.push(...batch);
      continue;
    }
    const out = await postEvents(target, batch, timeoutMs);
    if (out.kind === "accepted") {
      result.accepted.push(...batch);
    } else if (out.kind === "rejected") {
      if (batch.length === 1) {
        result.rejected.push({ event: batch[0] as WatchEvent, error: out.error });
      } else {
        const half = Math.ceil(batch.length / 2);
        queue.unshift(batch.slice(0, half), batch.slice(half));
      }
    } else {
      result.failure = out.error;
      result.failureStatus = out.kind === "refused" ? out.status : null;
      result.pending.push(...batch);
    }
  }
  return result;
}

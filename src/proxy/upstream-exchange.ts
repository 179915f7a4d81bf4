import type { Readable } from "node:stream";
import type { AttemptFailure } from "./attempt.ts";
import type { PassedHeaders, ProxyJob } from "./proxy-call.ts";
import type { RouteChoice } from "./router.ts";
import type { UpstreamResponse } from "./upstream.ts";

/**
 * The JSON sent upstream: the client's body with `model` rewritten to the backend's native
 * id and, for streamed chat and completion requests, `stream_options.include_usage` added
 * unless the backend's `inject_stream_usage` is off (so usage is counted even when the
 * client did not ask for it). Undefined for calls without a body.
 */
export function requestBody(choice: RouteChoice, job: ProxyJob): string | undefined {
  const b = job.body;
  if (!b) return undefined;
  const api = job.target.api;
  const inject =
    b.stream === true &&
    choice.backend.injectStreamUsage &&
    (api === "chat_completions" || api === "completions");
  if (!inject) return JSON.stringify({ ...b, model: choice.nativeModel });
  const opts = b.stream_options as Record<string, unknown> | undefined;
  return JSON.stringify({
    ...b,
    model: choice.nativeModel,
    stream_options: { ...opts, include_usage: true },
  });
}

/** Picks the upstream headers a client of OpenAI reads: rate limits and processing time. */
export function passedHeaders(h: UpstreamResponse["headers"]): PassedHeaders {
  let out: Record<string, string> | undefined;
  for (const k in h) {
    if (!k.startsWith("x-ratelimit-") && k !== "openai-processing-ms") continue;
    const v = h[k];
    if (v === undefined) continue;
    out ??= {};
    out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

/**
 * Reads a whole upstream body. Plain `data`/`end` listeners: an async iterator costs a
 * promise or two per chunk on the proxy's hot path. Rejects with the stream's error, or when
 * it closes before its end.
 */
export function readAll(body: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    body.on("data", (c: Buffer) => chunks.push(c));
    body.once("end", () => {
      ended = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    body.once("error", reject);
    body.once("close", () => {
      if (!ended) reject(new Error("the upstream body closed before its end"));
    });
  });
}

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** undici names its timeouts by code; an abort of ours is the client leaving. */
export function failureOf(err: unknown, job: ProxyJob): AttemptFailure {
  if (job.signal.aborted) return "aborted";
  const code = (err as { code?: unknown } | null)?.code;
  return code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT"
    ? "timeout"
    : "connection";
}

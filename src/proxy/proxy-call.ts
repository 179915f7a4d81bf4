import type { Readable } from "node:stream";
import type { AuthenticatedAgent } from "./agent-keys.ts";
import type { OpenAiError } from "./openai-error.ts";
import type { RouteTarget } from "./router.ts";

/**
 * What tells a proxied call that its client went away: an AbortSignal (the triage model's
 * own), or the HTTP layer's per-connection emitter (src/http/v1/client-signal.ts), which has
 * `aborted` and emits "abort" once. undici takes either as its `signal`; an emitter's
 * listeners cost less to add and remove than an EventTarget's, once per proxied request.
 */
export type ClientSignal = AbortSignal | AbortEmitter;

/** An EventEmitter-style abort signal (see {@link ClientSignal}). */
export interface AbortEmitter {
  readonly aborted: boolean;
  once(event: "abort", listener: () => void): unknown;
  removeListener(event: "abort", listener: () => void): unknown;
}

/** Calls `listener` once when `signal` aborts; returns what removes it. */
export function onAbort(signal: ClientSignal, listener: () => void): () => void {
  if ("addEventListener" in signal) {
    signal.addEventListener("abort", listener, { once: true });
    return () => signal.removeEventListener("abort", listener);
  }
  signal.once("abort", listener);
  return () => signal.removeListener("abort", listener);
}

/** Upstream headers passed on to the client (`x-ratelimit-*`, `openai-processing-ms`). */
export type PassedHeaders = Record<string, string> | undefined;

/** What the HTTP layer writes back. */
export type ProxyResult =
  | {
      kind: "buffered";
      status: number;
      contentType: string;
      body: Buffer;
      backend: string;
      headers: PassedHeaders;
    }
  | { kind: "stream"; status: number; body: Readable; backend: string; headers: PassedHeaders }
  | { kind: "error"; status: number; body: OpenAiError; headers?: Record<string, string> };

/** One client request on its way to a backend. */
export interface ProxyJob {
  target: RouteTarget;
  method: "GET" | "POST" | "DELETE";
  /** Path under the backend's base URL with the query, e.g. `/responses/resp_1?stream=true`. */
  path: string;
  /** The client's JSON body (`model` canonical), or undefined for GET and DELETE. */
  body: Record<string, unknown> | undefined;
  agent: AuthenticatedAgent;
  /** Aborted when the client disconnects; passed to the upstream request. */
  signal: ClientSignal;
  /** When the request arrived (clock ms). */
  startMs: number;
}

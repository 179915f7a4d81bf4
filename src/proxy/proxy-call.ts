import type { Readable } from "node:stream";
import type { AuthenticatedAgent } from "./agent-keys.ts";
import type { OpenAiError } from "./openai-error.ts";
import type { RouteTarget } from "./router.ts";

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
  signal: AbortSignal;
  /** When the request arrived (clock ms). */
  startMs: number;
}

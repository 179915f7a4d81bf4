import type { Readable } from "node:stream";
import { Pool } from "undici";
import type { ClientSignal } from "./proxy-call.ts";

/** One request to an upstream backend. */
export interface UpstreamRequest {
  /** Backend base URL as the openai SDK's baseURL, e.g. `https://host/v1`. */
  baseUrl: string;
  /** Path under the base URL, e.g. `/chat/completions`. */
  path: string;
  method: "GET" | "POST" | "DELETE";
  apiKey: string;
  body?: string;
  /** Whole-request budget in ms (headers and body). */
  timeoutMs: number;
  /** Aborted when the client goes away. */
  signal?: ClientSignal;
}

/** An upstream answer whose body has not been read yet. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/**
 * Keep-alive connection pools to the upstream providers, one undici Pool per origin
 * (undici 7: undici 8 needs Node ≥ 22.19).
 */
export interface UpstreamClient {
  /**
   * Sends a request. Rejects on connection errors and timeouts (undici errors, `code` set).
   */
  request(req: UpstreamRequest): Promise<UpstreamResponse>;
  /** Closes every pool. */
  close(): Promise<void>;
}

/** Builds the upstream client. `connections`: max sockets per origin (default 128). */
export function createUpstreamClient(opts: { connections?: number } = {}): UpstreamClient {
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string) => {
    let p = pools.get(origin);
    if (!p) {
      p = new Pool(origin, {
        connections: opts.connections ?? 128,
        pipelining: 1,
        keepAliveTimeout: 30_000,
      });
      pools.set(origin, p);
    }
    return p;
  };
  /** Each base URL parsed once: origin, path prefix, query. */
  const bases = new Map<string, { origin: string; prefix: string; search: string }>();
  const baseOf = (baseUrl: string) => {
    let b = bases.get(baseUrl);
    if (!b) {
      const url = new URL(baseUrl);
      b = { origin: url.origin, prefix: url.pathname.replace(/\/+$/, ""), search: url.search };
      // Base URLs come from the backends table: a handful; bounded all the same.
      if (bases.size >= 1024) bases.clear();
      bases.set(baseUrl, b);
    }
    return b;
  };
  return {
    async request(req) {
      const url = baseOf(req.baseUrl);
      const path = `${url.prefix}${req.path}${url.search}`;
      const headers: Record<string, string> = {
        authorization: `Bearer ${req.apiKey}`,
        accept: "application/json, text/event-stream",
      };
      if (req.body !== undefined) headers["content-type"] = "application/json";
      const res = await poolFor(url.origin).request({
        method: req.method,
        path,
        headers,
        body: req.body,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
        signal: req.signal,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.close()));
      pools.clear();
    },
  };
}

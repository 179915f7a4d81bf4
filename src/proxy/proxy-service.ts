import type { Readable } from "node:stream";
import { coerceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { AuthenticatedAgent } from "./agent-keys.ts";
import type { BackendRegistry } from "./registry.ts";
import { candidates } from "./router.ts";
import type { UpstreamClient, UpstreamResponse } from "./upstream.ts";

/** The OpenAI-compatible endpoints the proxy forwards (DESIGN.md, HTTP surface). */
export type ProxyEndpoint = "/chat/completions" | "/completions" | "/embeddings";

/** One client call to the proxy. */
export interface ProxyCall {
  endpoint: ProxyEndpoint;
  /** The parsed JSON body; `model` holds the canonical model name. */
  body: Record<string, unknown>;
  agent: AuthenticatedAgent;
  /** Aborted when the client disconnects; passed to the upstream request. */
  signal: AbortSignal;
}

/** What the HTTP layer writes back. */
export type ProxyResult =
  | { kind: "buffered"; status: number; contentType: string; body: Buffer; backend: string }
  | { kind: "stream"; status: number; contentType: string; body: Readable; backend: string }
  | { kind: "error"; status: number; body: OpenAiError; headers?: Record<string, string> };

/** OpenAI's error body shape. */
export interface OpenAiError {
  error: { message: string; type: string; code?: string | null; param?: string | null };
}

/** Statuses after which the next backend is tried (DESIGN.md, Routing). */
export function isRetryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Forwards proxy calls to backends (DESIGN.md, Proxy). */
export type ProxyService = ReturnType<typeof createProxyService>;

/** Builds the proxy service over the registry and the upstream client. */
export function createProxyService(deps: {
  registry: BackendRegistry;
  upstream: UpstreamClient;
  logger: Logger;
  metrics: Metrics;
}) {
  const inFlight = new Map<string, number>();
  const track = (id: string, d: number) => inFlight.set(id, (inFlight.get(id) ?? 0) + d);

  return {
    /** Lists canonical models served by at least one enabled backend (`GET /v1/models`). */
    models(): string[] {
      const names = new Set<string>();
      for (const b of deps.registry.all())
        if (b.enabled) for (const m of b.models.keys()) names.add(m);
      return [...names].sort();
    },

    /**
     * Tries the candidate backends in order until one answers with something other than a
     * retryable failure. Non-stream answers are read fully before the client sees a byte,
     * so a failure while reading still moves on to the next backend.
     */
    async forward(call: ProxyCall): Promise<ProxyResult> {
      const model = call.body.model;
      if (typeof model !== "string" || model === "") {
        return invalid("model: expected a model name", "model");
      }
      const route = candidates(deps.registry, model, { inFlight: (id) => inFlight.get(id) ?? 0 });
      if (route.length === 0) {
        return {
          kind: "error",
          status: 404,
          body: {
            error: {
              message: `The model \`${model}\` is not served by any enabled backend`,
              type: "invalid_request_error",
              code: "model_not_found",
              param: "model",
            },
          },
        };
      }
      const stream = call.body.stream === true;
      let lastError = "";
      for (const { backend, nativeModel } of route) {
        const body = JSON.stringify({ ...call.body, model: nativeModel });
        track(backend.id, 1);
        let res: UpstreamResponse;
        try {
          res = await deps.upstream.request({
            baseUrl: backend.baseUrl,
            path: call.endpoint,
            method: "POST",
            apiKey: backend.apiKey,
            body,
            timeoutMs: backend.timeoutMs,
            signal: call.signal,
          });
        } catch (err) {
          track(backend.id, -1);
          lastError = `${backend.name}: ${coerceError(err).message}`;
          deps.metrics.proxyRequests.inc({ backend: backend.name, model, status: "error" });
          if (call.signal.aborted) break;
          deps.logger.warn(
            { backend: backend.name, err: coerceError(err).message },
            "upstream failed; trying next",
          );
          continue;
        }
        const contentType = String(res.headers["content-type"] ?? "application/json");
        deps.metrics.proxyRequests.inc({
          backend: backend.name,
          model,
          status: `${Math.floor(res.status / 100)}xx`,
        });
        if (isRetryable(res.status)) {
          track(backend.id, -1);
          lastError = `${backend.name}: HTTP ${res.status}`;
          res.body.resume();
          continue;
        }
        if (stream && res.status < 300) {
          res.body.once("close", () => track(backend.id, -1));
          return {
            kind: "stream",
            status: res.status,
            contentType,
            body: res.body,
            backend: backend.name,
          };
        }
        try {
          const chunks: Buffer[] = [];
          for await (const c of res.body) chunks.push(c as Buffer);
          return {
            kind: "buffered",
            status: res.status,
            contentType,
            body: Buffer.concat(chunks),
            backend: backend.name,
          };
        } catch (err) {
          lastError = `${backend.name}: ${coerceError(err).message}`;
        } finally {
          track(backend.id, -1);
        }
      }
      return {
        kind: "error",
        status: 503,
        body: {
          error: {
            message: `All backends failed for ${model} (last: ${lastError})`,
            type: "all_pools_exhausted",
          },
        },
      };
    },
  };
}

function invalid(message: string, param: string): ProxyResult {
  return {
    kind: "error",
    status: 400,
    body: { error: { message, type: "invalid_request_error", param } },
  };
}

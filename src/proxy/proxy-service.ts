import type { Logger } from "../logger.ts";
import { msNow } from "../types.ts";
import { createAccounting } from "./accounting.ts";
import type { AuthenticatedAgent } from "./agent-keys.ts";
import { type AttemptDeps, createAttempter } from "./attempt.ts";
import { createDispatcher } from "./dispatch.ts";
import { INVALID_REQUEST, openAiError } from "./openai-error.ts";
import { ENDPOINT_API, type ProxyEndpoint } from "./proxy-apis.ts";
import type { ClientSignal, ProxyJob, ProxyResult } from "./proxy-call.ts";
import type { ProxyTracer } from "./proxy-tracer.ts";
import type { BackendRegistry } from "./registry.ts";
import type { ResponseAffinity } from "./response-affinity.ts";
import type { RouteTarget } from "./router.ts";
import type { UsageAggregator } from "./usage.ts";
import type { WaitQueue } from "./wait-queue.ts";

export type { OpenAiError } from "./openai-error.ts";
export type { ProxyEndpoint, ProxyResult };

/** One client call to a model-addressed endpoint. */
export interface ProxyCall {
  endpoint: ProxyEndpoint;
  /** The parsed JSON body; `model` holds the canonical model name. */
  body: Record<string, unknown>;
  agent: AuthenticatedAgent;
  /** Aborted when the client disconnects; passed to the upstream request. */
  signal: ClientSignal;
}

/** A client call about one stored response (`/v1/responses/{id}…`). */
export interface ResponseIdCall {
  method: "GET" | "POST" | "DELETE";
  responseId: string;
  /** What follows the id: "", `/input_items` or `/cancel`. */
  suffix: "" | "/input_items" | "/cancel";
  /** The query string with its `?`, or "". */
  query: string;
  agent: AuthenticatedAgent;
  signal: ClientSignal;
}

/** Dependencies of {@link createProxyService}. */
export interface ProxyDeps extends Omit<AttemptDeps, "accounting"> {
  registry: BackendRegistry;
  usage: UsageAggregator;
  logger: Logger;
  queue: WaitQueue;
  /** Longest total wait of one request in the queue, ms (`PROXY_QUEUE_TIMEOUT_S`). */
  queueTimeoutMs: number;
  affinity: ResponseAffinity;
  tracer: ProxyTracer | undefined;
}

/** Forwards proxy calls to backends; see {@link createProxyService}. */
export type ProxyService = ReturnType<typeof createProxyService>;

/**
 * Builds the proxy service: routing over the pools, failover before the first byte, the wait
 * queue when nothing can take a request, `previous_response_id` stickiness.
 */
export function createProxyService(deps: ProxyDeps) {
  const { clock, metrics, registry } = deps;
  const accounting = createAccounting({ usage: deps.usage, metrics, clock });
  const route = createDispatcher({
    ...deps,
    accounting,
    attempt: createAttempter({ ...deps, accounting }),
  });

  function job(
    target: RouteTarget,
    call: { agent: AuthenticatedAgent; signal: ClientSignal },
    req: Pick<ProxyJob, "method" | "path" | "body">,
  ): ProxyJob {
    return {
      target,
      ...req,
      agent: call.agent,
      signal: call.signal,
      startMs: msNow(clock),
    };
  }

  return {
    /** Canonical models served by at least one enabled backend (`GET /v1/models`). */
    models(): string[] {
      const names = new Set<string>();
      for (const b of registry.all()) if (b.enabled) for (const m of b.models.keys()) names.add(m);
      return [...names].sort();
    },

    /**
     * Forwards a model-addressed call (chat, completions, embeddings, responses). A
     * Responses call continuing `previous_response_id` goes to the backend that produced it
     * while that is remembered. Errors come back as OpenAI error bodies: 400 without a model,
     * 404 when no enabled backend serves the model on that API, 503 `all_pools_exhausted`
     * with Retry-After (s).
     */
    forward(call: ProxyCall): Promise<ProxyResult> {
      const model = call.body.model;
      if (typeof model !== "string" || model === "")
        return Promise.resolve(invalid("model: expected a model name", "model"));
      const api = ENDPOINT_API[call.endpoint];
      const previous = call.body.previous_response_id;
      const pinnedBackendId =
        api === "responses" && typeof previous === "string"
          ? deps.affinity.backendOf(previous, msNow(clock))
          : undefined;
      const target: RouteTarget = { api, model, pinnedBackendId };
      return route(job(target, call, { method: "POST", path: call.endpoint, body: call.body }));
    },

    /**
     * Forwards a call about a stored response (retrieve, input items, cancel, delete) to the
     * backend that produced it, or, for an id not remembered, to the first backend serving
     * the Responses API, which answers for itself.
     */
    forwardByResponseId(call: ResponseIdCall): Promise<ProxyResult> {
      const target: RouteTarget = {
        api: "responses",
        model: undefined,
        pinnedBackendId: deps.affinity.backendOf(call.responseId, msNow(clock)),
      };
      const path = `/responses/${encodeURIComponent(call.responseId)}${call.suffix}${call.query}`;
      return route(job(target, call, { method: call.method, path, body: undefined }));
    },
  };
}

function invalid(message: string, param: string): ProxyResult {
  return { kind: "error", status: 400, body: openAiError(message, INVALID_REQUEST, { param }) };
}

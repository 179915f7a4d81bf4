import { performance } from "node:perf_hooks";
import type { Logger } from "../logger.ts";
import { createAccounting } from "./accounting.ts";
import type { AuthenticatedAgent } from "./agent-keys.ts";
import { type AttemptDeps, createAttempter } from "./attempt.ts";
import { INVALID_REQUEST, openAiError, type UnavailableReason } from "./openai-error.ts";
import { ENDPOINT_API, type ProxyEndpoint } from "./proxy-apis.ts";
import type { ProxyJob, ProxyResult } from "./proxy-call.ts";
import type { ProxyTracer } from "./proxy-tracer.ts";
import type { BackendRegistry } from "./registry.ts";
import type { ResponseAffinity } from "./response-affinity.ts";
import { planRoute, type RouteChoice, type RouteTarget } from "./router.ts";
import type { UsageAggregator } from "./usage.ts";
import type { WaitOutcome, WaitQueue } from "./wait-queue.ts";

export type { OpenAiError } from "./openai-error.ts";
export type { ProxyEndpoint, ProxyResult };

/** One client call to a model-addressed endpoint. */
export interface ProxyCall {
  endpoint: ProxyEndpoint;
  /** The parsed JSON body; `model` holds the canonical model name. */
  body: Record<string, unknown>;
  agent: AuthenticatedAgent;
  /** Aborted when the client disconnects; passed to the upstream request. */
  signal: AbortSignal;
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
  signal: AbortSignal;
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

/** Per-request routing state. */
interface RouteState {
  reasons: string[];
  /** Backends that failed this request with a 5xx, timeout or connection error. */
  exclude: Set<string> | undefined;
  /** When one of its backends may free up (clock ms). */
  retryAtMs: number | undefined;
  /** The last failed attempt, counted as a failover once the request moves on. */
  pending: { backend: string; reason: string } | undefined;
}

const WAIT_REASON: Record<
  Exclude<WaitOutcome["kind"], "acquired" | "aborted">,
  UnavailableReason
> = { full: "queue_full", timeout: "queue_timeout", closed: "shutting_down" };

/** Forwards proxy calls to backends; see {@link createProxyService}. */
export type ProxyService = ReturnType<typeof createProxyService>;

/**
 * Builds the proxy service: routing over the pools, failover before the first byte, the wait
 * queue when nothing can take a request, `previous_response_id` stickiness.
 */
export function createProxyService(deps: ProxyDeps) {
  const { runtime, clock, metrics, registry } = deps;
  const accounting = createAccounting({ usage: deps.usage, metrics, clock });
  const attempt = createAttempter({ ...deps, accounting });

  const minOf = (a: number | undefined, b: number) => (a === undefined ? b : Math.min(a, b));

  function countFailover(state: RouteState): void {
    if (!state.pending) return;
    metrics.proxyFailovers.inc(state.pending);
    state.pending = undefined;
  }

  /** A backend with its RPM token taken, or when one may be free (for the wait queue). */
  function takeFirst(
    target: RouteTarget,
  ): { choice: RouteChoice } | { retryAtMs: number | undefined } {
    const nowMs = clock.now().getTime();
    const plan = planRoute(registry, runtime, target, nowMs);
    let retryAtMs = plan.soonestCooldownEndMs;
    for (const choice of plan.order) {
      const bucket = runtime.bucket(choice.backend, nowMs);
      if (bucket.tryTake(nowMs)) return { choice };
      retryAtMs = minOf(retryAtMs, nowMs + bucket.msUntilToken(nowMs));
    }
    return { retryAtMs };
  }

  /** Tries `order` in turn (the first one's token already taken when `taken`). */
  async function tryInOrder(
    job: ProxyJob,
    order: readonly RouteChoice[],
    state: RouteState,
    taken: boolean,
  ): Promise<ProxyResult | undefined> {
    for (let i = 0; i < order.length; i++) {
      const choice = order[i] as RouteChoice;
      if (!(taken && i === 0)) {
        const nowMs = clock.now().getTime();
        const bucket = runtime.bucket(choice.backend, nowMs);
        if (!bucket.tryTake(nowMs)) {
          state.retryAtMs = minOf(state.retryAtMs, nowMs + bucket.msUntilToken(nowMs));
          state.reasons.push(`${choice.backend.name}: RPM limit reached`);
          continue;
        }
      }
      countFailover(state);
      const a = await attempt(choice, job);
      if (a.kind === "done") return a.result;
      state.reasons.push(a.reason);
      if (a.failure === "aborted") return clientGone();
      state.pending = { backend: choice.backend.name, reason: a.failure };
      const end = runtime.cooldowns.endsAt(choice.backend.id, clock.now().getTime());
      if (end !== undefined) state.retryAtMs = minOf(state.retryAtMs, end);
      else {
        state.exclude ??= new Set();
        state.exclude.add(choice.backend.id);
      }
    }
    return undefined;
  }

  /**
   * Routes a job: tries the planned backends; when none can take it (cooling, out of RPM
   * tokens) it waits in the queue and goes as soon as one frees up; 503 when the queue is
   * full, the wait times out, or every backend that could take it failed.
   */
  async function route(job: ProxyJob): Promise<ProxyResult> {
    const state: RouteState = {
      reasons: [],
      exclude: undefined,
      retryAtMs: undefined,
      pending: undefined,
    };
    let waitedMs = 0;
    for (;;) {
      deps.queue.wakeIfDue();
      const target = { ...job.target, exclude: state.exclude };
      const plan = planRoute(registry, runtime, target, clock.now().getTime());
      if (!plan.known) {
        if (job.target.pinnedBackendId === undefined) return notServed(job);
        // The backend that produced the response is gone: the upstream decides, as for an unknown id.
        job.target = { ...job.target, pinnedBackendId: undefined };
        continue;
      }
      state.retryAtMs = plan.soonestCooldownEndMs;
      const served = await tryInOrder(job, plan.order, state, false);
      if (served) return served;
      if (job.signal.aborted) return clientGone();
      if (state.retryAtMs === undefined)
        return unavailable(job, state, state.exclude ? "upstream_failed" : "no_backend");
      const startedAt = performance.now();
      const out = await deps.queue.wait(
        () => takeFirst({ ...job.target, exclude: state.exclude }),
        {
          signal: job.signal,
          budgetMs: deps.queueTimeoutMs - waitedMs,
          retryAtMs: state.retryAtMs,
        },
      );
      waitedMs += performance.now() - startedAt;
      if (out.kind === "aborted") return clientGone();
      if (out.kind !== "acquired") return unavailable(job, state, WAIT_REASON[out.kind]);
      const given = await tryInOrder(job, [out.choice], state, true);
      if (given) return given;
      if (job.signal.aborted) return clientGone();
    }
  }

  function unavailable(job: ProxyJob, state: RouteState, reason: UnavailableReason): ProxyResult {
    metrics.proxyUnavailable.inc({ reason });
    const model = job.target.model;
    if (model !== undefined) accounting.finished("none", model, job.startMs);
    const nowMs = clock.now().getTime();
    const free = takeFirstTime(job.target, nowMs);
    const retryAfterS = free === undefined ? 1 : Math.max(1, Math.ceil((free - nowMs) / 1000));
    const why = state.reasons.join("; ") || "every backend is cooling down or out of RPM tokens";
    return {
      kind: "error",
      status: 503,
      headers: { "retry-after": String(retryAfterS) },
      body: openAiError(
        `No backend could serve ${model ?? "this request"} (${reason}): ${why}`,
        "all_pools_exhausted",
        { code: "all_pools_exhausted" },
      ),
    };
  }

  /** When a backend of `target` may next take a request (clock ms), without taking a token. */
  function takeFirstTime(target: RouteTarget, nowMs: number): number | undefined {
    const plan = planRoute(registry, runtime, target, nowMs);
    let at = plan.soonestCooldownEndMs;
    for (const c of plan.order)
      at = minOf(at, nowMs + runtime.bucket(c.backend, nowMs).msUntilToken(nowMs));
    return at;
  }

  function job(
    target: RouteTarget,
    call: { agent: AuthenticatedAgent; signal: AbortSignal },
    req: Pick<ProxyJob, "method" | "path" | "body">,
  ): ProxyJob {
    return {
      target,
      ...req,
      agent: call.agent,
      signal: call.signal,
      startMs: clock.now().getTime(),
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
          ? deps.affinity.backendOf(previous, clock.now().getTime())
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
        pinnedBackendId: deps.affinity.backendOf(call.responseId, clock.now().getTime()),
      };
      const path = `/responses/${encodeURIComponent(call.responseId)}${call.suffix}${call.query}`;
      return route(job(target, call, { method: call.method, path, body: undefined }));
    },
  };
}

function notServed(job: ProxyJob): ProxyResult {
  const { model, api } = job.target;
  const message =
    model === undefined
      ? "No enabled backend serves the Responses API"
      : `The model \`${model}\` is not served by any enabled backend${api === "responses" ? " on the Responses API" : ""}`;
  return {
    kind: "error",
    status: 404,
    body: openAiError(message, INVALID_REQUEST, {
      code: "model_not_found",
      param: model === undefined ? null : "model",
    }),
  };
}

function invalid(message: string, param: string): ProxyResult {
  return { kind: "error", status: 400, body: openAiError(message, INVALID_REQUEST, { param }) };
}

/** The client left; nobody reads this answer (nginx's 499 "client closed request"). */
function clientGone(): ProxyResult {
  return {
    kind: "error",
    status: 499,
    body: openAiError("client closed the request", INVALID_REQUEST),
  };
}

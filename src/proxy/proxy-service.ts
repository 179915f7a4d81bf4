import { Readable } from "node:stream";
import { coerceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { Clock } from "../types.ts";
import type { AuthenticatedAgent } from "./agent-keys.ts";
import type { BackendRuntime } from "./backend-runtime.ts";
import type { RuntimeBackend } from "./backend-service.ts";
import { type CooldownStarted, parseRetryAfter } from "./cooldowns.ts";
import type { BackendRegistry } from "./registry.ts";
import { planRoute, type RouteChoice } from "./router.ts";
import { relaySse, type StreamEnd, type TokenUsage } from "./sse-relay.ts";
import type { UpstreamClient, UpstreamResponse } from "./upstream.ts";
import type { UsageAggregator } from "./usage.ts";

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
  | { kind: "stream"; status: number; body: Readable; backend: string }
  | { kind: "error"; status: number; body: OpenAiError; headers?: Record<string, string> };

/** OpenAI's error body shape. */
export interface OpenAiError {
  error: { message: string; type: string; code?: string | null; param?: string | null };
}

/** Dependencies of {@link createProxyService}. */
export interface ProxyDeps {
  registry: BackendRegistry;
  runtime: BackendRuntime;
  upstream: UpstreamClient;
  usage: UsageAggregator;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Called when a 429 starts a cooldown (writes the cooldown event row, off the request path). */
  onCooldown: (c: CooldownStarted, backend: RuntimeBackend, reason: string) => void;
}

type Attempt = { kind: "done"; result: ProxyResult } | { kind: "next"; reason: string };

/** Forwards proxy calls to backends (DESIGN.md, Proxy). */
export type ProxyService = ReturnType<typeof createProxyService>;

/** Builds the proxy service. */
export function createProxyService(deps: ProxyDeps) {
  const { runtime, clock, metrics } = deps;

  function account(
    choice: RouteChoice,
    call: ProxyCall,
    startMs: number,
    ok: boolean,
    usage: TokenUsage | null,
  ) {
    const mapping = choice.backend.models.get(call.body.model as string);
    const prompt = usage?.prompt_tokens ?? 0;
    const completion = usage?.completion_tokens ?? 0;
    const cost =
      prompt * (mapping?.input_cost_per_token ?? 0) +
      completion * (mapping?.output_cost_per_token ?? 0);
    const nowMs = clock.now().getTime();
    const latencyMs = Math.max(0, nowMs - startMs);
    deps.usage.record({
      backendId: choice.backend.id,
      backendName: choice.backend.name,
      model: call.body.model as string,
      agent: call.agent.name,
      atMs: nowMs,
      ok,
      promptTokens: prompt,
      completionTokens: completion,
      costUsd: cost,
      latencyMs,
    });
    if (usage) {
      metrics.proxyTokens.inc({ backend: choice.backend.name, kind: "prompt" }, prompt);
      metrics.proxyTokens.inc({ backend: choice.backend.name, kind: "completion" }, completion);
      metrics.proxyCost.inc({ backend: choice.backend.name }, cost);
    }
    metrics.proxyLatency.observe({ backend: choice.backend.name }, latencyMs / 1000);
  }

  async function attempt(choice: RouteChoice, call: ProxyCall, startMs: number): Promise<Attempt> {
    const { backend } = choice;
    const model = call.body.model as string;
    const stream = call.body.stream === true;
    const clientOpts = call.body.stream_options as { include_usage?: boolean } | undefined;
    const body = stream
      ? {
          ...call.body,
          model: choice.nativeModel,
          stream_options: { ...clientOpts, include_usage: true },
        }
      : { ...call.body, model: choice.nativeModel };
    let res: UpstreamResponse;
    try {
      res = await deps.upstream.request({
        baseUrl: backend.baseUrl,
        path: call.endpoint,
        method: "POST",
        apiKey: backend.apiKey,
        body: JSON.stringify(body),
        timeoutMs: backend.timeoutMs,
        signal: call.signal,
      });
    } catch (err) {
      metrics.proxyRequests.inc({ backend: backend.name, model, status: "error" });
      account(choice, call, startMs, false, null);
      return { kind: "next", reason: `${backend.name}: ${coerceError(err).message}` };
    }
    metrics.proxyRequests.inc({ backend: backend.name, model, status: String(res.status) });
    if (res.status === 429) {
      res.body.resume();
      account(choice, call, startMs, false, null);
      const nowMs = clock.now().getTime();
      const started = runtime.cooldowns.rateLimited(
        backend.id,
        parseRetryAfter(res.headers["retry-after"], nowMs),
        nowMs,
      );
      if (started) deps.onCooldown(started, backend, "upstream answered 429");
      return { kind: "next", reason: `${backend.name}: HTTP 429` };
    }
    if (res.status >= 500) {
      res.body.resume();
      account(choice, call, startMs, false, null);
      return { kind: "next", reason: `${backend.name}: HTTP ${res.status}` };
    }
    runtime.cooldowns.succeeded(backend.id, clock.now().getTime());
    if (stream && res.status < 300) {
      const relay = relaySse(res.body, {
        clientWantsUsage: clientOpts?.include_usage === true,
        onEnd: (end: StreamEnd) => account(choice, call, startMs, end.ok, end.usage),
      });
      return {
        kind: "done",
        result: {
          kind: "stream",
          status: res.status,
          body: Readable.from(relay),
          backend: backend.name,
        },
      };
    }
    try {
      const chunks: Buffer[] = [];
      for await (const c of res.body) chunks.push(c as Buffer);
      const buf = Buffer.concat(chunks);
      const ok = res.status < 400;
      account(choice, call, startMs, ok, ok ? usageOfJson(buf) : null);
      const contentType = String(res.headers["content-type"] ?? "application/json");
      return {
        kind: "done",
        result: {
          kind: "buffered",
          status: res.status,
          contentType,
          body: buf,
          backend: backend.name,
        },
      };
    } catch (err) {
      account(choice, call, startMs, false, null);
      return { kind: "next", reason: `${backend.name}: ${coerceError(err).message}` };
    }
  }

  return {
    /** Canonical models served by at least one enabled backend (`GET /v1/models`). */
    models(): string[] {
      const names = new Set<string>();
      for (const b of deps.registry.all())
        if (b.enabled) for (const m of b.models.keys()) names.add(m);
      return [...names].sort();
    },

    /**
     * Tries backends in route order (DESIGN.md, Routing): a backend without an RPM token is
     * skipped; 429 (cooldown), 5xx, timeouts and connection errors move to the next one,
     * only before the client saw a byte; other 4xx go back to the client untouched. When
     * nothing is left: 503 `all_pools_exhausted` with Retry-After = soonest cooldown end or
     * token refill.
     */
    async forward(call: ProxyCall): Promise<ProxyResult> {
      const model = call.body.model;
      if (typeof model !== "string" || model === "")
        return invalid("model: expected a model name", "model");
      const startMs = clock.now().getTime();
      const plan = planRoute(deps.registry, runtime, model, startMs);
      if (!plan.known) {
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
      let soonest = plan.soonestCooldownEndMs;
      const reasons: string[] = [];
      for (const choice of plan.order) {
        const nowMs = clock.now().getTime();
        const grant = await runtime.take(choice.backend, nowMs);
        if (!grant.ok) {
          const ready = nowMs + grant.readyInMs;
          soonest = soonest === undefined ? ready : Math.min(soonest, ready);
          reasons.push(`${choice.backend.name}: RPM limit reached`);
          continue;
        }
        const a = await attempt(choice, call, startMs);
        if (a.kind === "done") return a.result;
        reasons.push(a.reason);
        if (call.signal.aborted) break;
        const end = runtime.cooldowns.endsAt(choice.backend.id, clock.now().getTime());
        if (end !== undefined) soonest = soonest === undefined ? end : Math.min(soonest, end);
      }
      const retryAfterS =
        soonest === undefined
          ? 1
          : Math.max(1, Math.ceil((soonest - clock.now().getTime()) / 1000));
      return {
        kind: "error",
        status: 503,
        headers: { "retry-after": String(retryAfterS) },
        body: {
          error: {
            message: `No backend could serve ${model}: ${reasons.join("; ") || "all cooling down"}`,
            type: "all_pools_exhausted",
            code: "all_pools_exhausted",
          },
        },
      };
    },
  };
}

/**
 * Reads `usage` from a JSON answer without parsing the whole body: the counts are looked up
 * in the `"usage"` object (OpenAI puts it last, so the search starts from the end).
 */
export function usageOfJson(buf: Buffer): TokenUsage | null {
  const at = buf.lastIndexOf('"usage"');
  if (at < 0) return null;
  const tail = buf.toString("utf8", at, Math.min(buf.length, at + 400));
  const prompt = /"prompt_tokens"\s*:\s*(\d+)/.exec(tail);
  if (!prompt) return null;
  const completion = /"completion_tokens"\s*:\s*(\d+)/.exec(tail);
  return {
    prompt_tokens: Number(prompt[1]),
    completion_tokens: completion ? Number(completion[1]) : 0,
  };
}

function invalid(message: string, param: string): ProxyResult {
  return {
    kind: "error",
    status: 400,
    body: { error: { message, type: "invalid_request_error", param } },
  };
}

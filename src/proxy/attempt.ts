import { Readable } from "node:stream";
import type { Metrics } from "../metrics.ts";
import { type Clock, msNow } from "../types.ts";
import type { Accounting } from "./accounting.ts";
import type { BackendRuntime } from "./backend-runtime.ts";
import type { RuntimeBackend } from "./backend-service.ts";
import { type CooldownStarted, parseRetryAfter } from "./cooldowns.ts";
import type { ProxyJob, ProxyResult } from "./proxy-call.ts";
import type { AttemptSpan, ProxyTracer } from "./proxy-tracer.ts";
import type { ResponseAffinity } from "./response-affinity.ts";
import type { RouteChoice } from "./router.ts";
import { chatDialect, responsesDialect, type TokenUsage } from "./sse-dialects.ts";
import { relaySse, type StreamEnd } from "./sse-relay.ts";
import type { UpstreamClient, UpstreamResponse } from "./upstream.ts";
import { failureOf, messageOf, passedHeaders, readAll, requestBody } from "./upstream-exchange.ts";
import { responseOfJson, usageOfJson } from "./usage-json.ts";

/** Why an attempt did not serve the request. */
export type AttemptFailure = "rate_limited" | "server_error" | "timeout" | "connection" | "aborted";

/** The outcome of one attempt: an answer for the client, or a reason to move on. */
export type Attempt =
  | { kind: "done"; result: ProxyResult }
  | { kind: "next"; failure: AttemptFailure; reason: string };

/** What {@link createAttempter} needs. */
export interface AttemptDeps {
  upstream: UpstreamClient;
  runtime: BackendRuntime;
  clock: Clock;
  metrics: Metrics;
  accounting: Accounting;
  affinity: ResponseAffinity;
  tracer: ProxyTracer | undefined;
  /** A 429 started a cooldown (the event row is written off the request path). */
  onCooldown: (c: CooldownStarted, backend: RuntimeBackend, reason: string) => void;
}

/**
 * One upstream attempt (model rewritten, usage asked for in streams unless the backend says
 * not to): 429 starts a cooldown and moves on, as do 5xx, timeouts and connection errors;
 * anything else is the client's answer, streamed when the upstream streams.
 */
export function createAttempter(deps: AttemptDeps) {
  const { clock, metrics } = deps;
  const countRequest = (backend: string, model: string, status: string) => {
    const key = `${backend}\u0000${model}\u0000${status}`;
    metrics.proxyRequestsBatch.series(key, { backend, model, status }).inc();
  };

  /** Records one attempt's usage when the request names a model (not calls by response id). */
  function account(choice: RouteChoice, job: ProxyJob, ok: boolean, usage: TokenUsage | null) {
    const model = job.target.model;
    if (model === undefined) return;
    deps.accounting.attempt({
      backend: choice.backend,
      model,
      agent: job.agent.name,
      startMs: job.startMs,
      ok,
      usage,
    });
  }

  function finished(choice: RouteChoice, job: ProxyJob) {
    if (job.target.model !== undefined)
      deps.accounting.finished(choice.backend.name, job.target.model, job.startMs);
  }

  function failed(
    choice: RouteChoice,
    job: ProxyJob,
    failure: AttemptFailure,
    reason: string,
    span: AttemptSpan | undefined,
    status?: number,
  ): Attempt {
    account(choice, job, false, null);
    span?.end({ status, error: reason });
    return { kind: "next", failure, reason: `${choice.backend.name}: ${reason}` };
  }

  function rateLimited(choice: RouteChoice, res: UpstreamResponse) {
    const nowMs = msNow(clock);
    const { backend } = choice;
    const started = deps.runtime.cooldowns.rateLimited(
      backend.id,
      parseRetryAfter(res.headers["retry-after"], nowMs),
      nowMs,
    );
    if (!started) return;
    metrics.proxyCooldowns.inc({ backend: backend.name });
    deps.onCooldown(started, backend, "upstream answered 429");
  }

  function stream(choice: RouteChoice, job: ProxyJob, res: UpstreamResponse, span?: AttemptSpan) {
    const { backend } = choice;
    const model = job.target.model;
    const dialect =
      job.target.api === "responses"
        ? responsesDialect({
            onResponseId: (id) => deps.affinity.remember(id, backend.id, msNow(clock)),
          })
        : chatDialect({
            clientWantsUsage:
              (job.body?.stream_options as { include_usage?: unknown } | undefined)
                ?.include_usage === true,
          });
    return relaySse(res.body, {
      dialect,
      onFirstEvent: () => {
        if (model !== undefined) deps.accounting.firstEvent(backend.name, model, job.startMs);
      },
      onEnd: (end: StreamEnd) => {
        account(choice, job, end.ok, end.usage);
        finished(choice, job);
        span?.end({ status: res.status, usage: end.usage, error: end.error });
      },
    });
  }

  async function buffered(
    choice: RouteChoice,
    job: ProxyJob,
    res: UpstreamResponse,
    span?: AttemptSpan,
  ): Promise<Attempt> {
    let body: Buffer;
    try {
      body = await readAll(res.body);
    } catch (err) {
      return failed(choice, job, failureOf(err, job), messageOf(err), span, res.status);
    }
    const ok = res.status < 400;
    let usage: TokenUsage | null = null;
    if (ok && job.target.api === "responses") {
      const r = responseOfJson(body);
      usage = r.usage;
      if (r.id) deps.affinity.remember(r.id, choice.backend.id, msNow(clock));
    } else if (ok) {
      usage = usageOfJson(body);
    }
    account(choice, job, ok, usage);
    finished(choice, job);
    span?.end({ status: res.status, usage });
    const contentType = String(res.headers["content-type"] ?? "application/json");
    return {
      kind: "done",
      result: {
        kind: "buffered",
        status: res.status,
        contentType,
        body,
        backend: choice.backend.name,
        headers: passedHeaders(res.headers),
      },
    };
  }

  return async function attempt(choice: RouteChoice, job: ProxyJob): Promise<Attempt> {
    const { backend } = choice;
    const model = job.target.model ?? "";
    const span = deps.tracer?.startAttempt({
      api: job.target.api,
      model: job.target.model,
      nativeModel: choice.nativeModel,
      backend: backend.name,
      baseUrl: backend.baseUrl,
      agent: job.agent.name,
    });
    const send = () =>
      deps.upstream.request({
        baseUrl: backend.baseUrl,
        path: job.path,
        method: job.method,
        apiKey: backend.apiKey,
        body: requestBody(choice, job),
        timeoutMs: backend.timeoutMs,
        signal: job.signal,
      });
    let res: UpstreamResponse;
    try {
      res = await (span ? span.within(send) : send());
    } catch (err) {
      countRequest(backend.name, model, "error");
      return failed(choice, job, failureOf(err, job), messageOf(err), span);
    }
    countRequest(backend.name, model, String(res.status));
    if (res.status === 429) {
      res.body.resume();
      rateLimited(choice, res);
      return failed(choice, job, "rate_limited", "HTTP 429", span, 429);
    }
    if (res.status >= 500) {
      res.body.resume();
      return failed(choice, job, "server_error", `HTTP ${res.status}`, span, res.status);
    }
    deps.runtime.cooldowns.succeeded(backend.id, msNow(clock));
    const contentType = res.headers["content-type"];
    if (
      res.status < 300 &&
      typeof contentType === "string" &&
      contentType.startsWith("text/event-stream")
    ) {
      return {
        kind: "done",
        result: {
          kind: "stream",
          status: res.status,
          body: Readable.from(stream(choice, job, res, span)),
          backend: backend.name,
          headers: passedHeaders(res.headers),
        },
      };
    }
    return await buffered(choice, job, res, span);
  };
}

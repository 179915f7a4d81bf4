import { performance } from "node:perf_hooks";
import type { Metrics } from "../metrics.ts";
import { type Clock, msNow } from "../types.ts";
import type { Accounting } from "./accounting.ts";
import type { Attempt } from "./attempt.ts";
import type { BackendRuntime } from "./backend-runtime.ts";
import { INVALID_REQUEST, openAiError, type UnavailableReason } from "./openai-error.ts";
import type { ProxyJob, ProxyResult } from "./proxy-call.ts";
import type { BackendRegistry } from "./registry.ts";
import { planRoute, type RouteChoice, type RouteTarget } from "./router.ts";
import type { WaitOutcome, WaitQueue } from "./wait-queue.ts";

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

/** What {@link createDispatcher} needs. */
export interface DispatchDeps {
  registry: BackendRegistry;
  runtime: BackendRuntime;
  clock: Clock;
  metrics: Metrics;
  accounting: Accounting;
  queue: WaitQueue;
  /** Longest total wait of one request in the queue, ms (`PROXY_QUEUE_TIMEOUT_S`). */
  queueTimeoutMs: number;
  /** One upstream attempt (./attempt.ts). */
  attempt: (choice: RouteChoice, job: ProxyJob) => Promise<Attempt>;
}

/**
 * Routes jobs over the pools: tries the planned backends in order (failover before the first
 * byte); when none can take a job (cooling, out of RPM tokens) it waits in the queue and goes
 * as soon as one frees up; 503 `all_pools_exhausted` with Retry-After (s) when the queue is
 * full, the wait times out, or every backend that could take it failed.
 */
export function createDispatcher(deps: DispatchDeps): (job: ProxyJob) => Promise<ProxyResult> {
  const { runtime, clock, metrics, registry, accounting, attempt } = deps;

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
    const nowMs = msNow(clock);
    const plan = planRoute(registry, runtime, target, nowMs);
    let retryAtMs = plan.soonestCooldownEndMs;
    for (const choice of plan.order) {
      const grant = runtime.tryTake(choice.backend, nowMs);
      if (grant.ok) return { choice };
      retryAtMs = minOf(retryAtMs, nowMs + grant.readyInMs);
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
        const nowMs = msNow(clock);
        const taken = runtime.take(choice.backend, nowMs);
        const grant = taken instanceof Promise ? await taken : taken;
        if (!grant.ok) {
          state.retryAtMs = minOf(state.retryAtMs, nowMs + grant.readyInMs);
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
      const end = runtime.cooldowns.endsAt(choice.backend.id, msNow(clock));
      if (end !== undefined) state.retryAtMs = minOf(state.retryAtMs, end);
      else {
        state.exclude ??= new Set();
        state.exclude.add(choice.backend.id);
      }
    }
    return undefined;
  }

  /** Routes one job (see {@link createDispatcher}). */
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
      const target = state.exclude ? { ...job.target, exclude: state.exclude } : job.target;
      const plan = planRoute(registry, runtime, target, msNow(clock));
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
    const nowMs = msNow(clock);
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
    for (const c of plan.order) at = minOf(at, nowMs + runtime.msUntilToken(c.backend, nowMs));
    return at;
  }

  return route;
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

/** The client left; nobody reads this answer (nginx's 499 "client closed request"). */
function clientGone(): ProxyResult {
  return {
    kind: "error",
    status: 499,
    body: openAiError("client closed the request", INVALID_REQUEST),
  };
}

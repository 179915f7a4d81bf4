import { POOLS } from "../types.ts";
import type { BackendRuntime } from "./backend-runtime.ts";
import type { RuntimeBackend } from "./backend-service.ts";
import type { ProxyApi } from "./proxy-apis.ts";
import type { BackendRegistry } from "./registry.ts";

/** A backend chosen for one attempt, with the native model id to put in the body. */
export interface RouteChoice {
  backend: RuntimeBackend;
  /** The backend's id for the model; "" for calls addressed by response id (no model). */
  nativeModel: string;
}

/** What one request may be routed to. */
export interface RouteTarget {
  api: ProxyApi;
  /** Canonical model; undefined for calls addressed by response id (any backend of the API). */
  model: string | undefined;
  /** Only this backend may serve it (a `previous_response_id` it produced). */
  pinnedBackendId?: string | undefined;
  /** Backends this request already saw fail with a 5xx, timeout or connection error. */
  exclude?: ReadonlySet<string> | undefined;
}

/** The order in which to try backends for one request. */
export interface RoutePlan {
  /** Whether any enabled backend serving the API maps the model (else: 404 model_not_found). */
  known: boolean;
  /** Backends to try, best first. */
  order: RouteChoice[];
  /** Earliest end (ms) of a cooldown among the backends left out for cooling, if any. */
  soonestCooldownEndMs: number | undefined;
}

/**
 * Plans a request: primary pool, then fallback; within a pool healthy before degraded, then
 * least RPM utilisation. Disabled backends, backends that do not serve `target.api`, `down`,
 * cooling and excluded backends are left out.
 */
export function planRoute(
  registry: BackendRegistry,
  runtime: BackendRuntime,
  target: RouteTarget,
  nowMs: number,
): RoutePlan {
  let known = false;
  let soonest: number | undefined;
  const order: RouteChoice[] = [];
  for (const pool of POOLS) {
    const inPool: { choice: RouteChoice; rank: number; use: number }[] = [];
    for (const b of registry.all()) {
      if (b.pool !== pool || !b.enabled || !b.apis.has(target.api)) continue;
      if (target.pinnedBackendId !== undefined && b.id !== target.pinnedBackendId) continue;
      const native = target.model === undefined ? "" : b.models.get(target.model)?.native;
      if (native === undefined) continue;
      known = true;
      const state = runtime.stateOf(b);
      if (state === "down" || target.exclude?.has(b.id)) continue;
      const end = runtime.cooldowns.endsAt(b.id, nowMs);
      if (end !== undefined) {
        soonest = soonest === undefined ? end : Math.min(soonest, end);
        continue;
      }
      inPool.push({
        choice: { backend: b, nativeModel: native },
        rank: state === "healthy" ? 0 : 1,
        use: runtime.utilisation(b, nowMs),
      });
    }
    if (inPool.length > 1) inPool.sort((x, y) => x.rank - y.rank || x.use - y.use);
    for (const c of inPool) order.push(c.choice);
  }
  return { known, order, soonestCooldownEndMs: soonest };
}

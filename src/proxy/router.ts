import { POOLS } from "../types.ts";
import type { BackendRuntime } from "./backend-runtime.ts";
import type { RuntimeBackend } from "./backend-service.ts";
import type { BackendRegistry } from "./registry.ts";

/** A backend chosen for one attempt, with the native model id to put in the body. */
export interface RouteChoice {
  backend: RuntimeBackend;
  nativeModel: string;
}

/** The order in which to try backends for one request. */
export interface RoutePlan {
  /** Whether any enabled backend maps the model at all (else: 404 model_not_found). */
  known: boolean;
  /** Backends to try, best first. */
  order: RouteChoice[];
  /** Earliest end (ms) of a cooldown among the backends left out for cooling, if any. */
  soonestCooldownEndMs: number | undefined;
}

/**
 * Plans a request for `canonicalModel` (DESIGN.md, Routing): primary pool, then fallback;
 * within a pool healthy before degraded, then least RPM utilisation. Disabled, `down` and
 * cooling backends are left out.
 */
export function planRoute(
  registry: BackendRegistry,
  runtime: BackendRuntime,
  canonicalModel: string,
  nowMs: number,
): RoutePlan {
  let known = false;
  let soonest: number | undefined;
  const order: RouteChoice[] = [];
  for (const pool of POOLS) {
    const inPool: { choice: RouteChoice; rank: number; use: number }[] = [];
    for (const b of registry.all()) {
      if (b.pool !== pool || !b.enabled) continue;
      const mapping = b.models.get(canonicalModel);
      if (!mapping) continue;
      known = true;
      const state = runtime.stateOf(b);
      if (state === "down") continue;
      const end = runtime.cooldowns.endsAt(b.id, nowMs);
      if (end !== undefined) {
        soonest = soonest === undefined ? end : Math.min(soonest, end);
        continue;
      }
      inPool.push({
        choice: { backend: b, nativeModel: mapping.native },
        rank: state === "healthy" ? 0 : 1,
        use: runtime.utilisation(b, nowMs),
      });
    }
    inPool.sort((x, y) => x.rank - y.rank || x.use - y.use);
    for (const c of inPool) order.push(c.choice);
  }
  return { known, order, soonestCooldownEndMs: soonest };
}

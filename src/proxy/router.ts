import { POOLS } from "../types.ts";
import type { RuntimeBackend } from "./backend-service.ts";
import type { BackendRegistry } from "./registry.ts";

/** A backend chosen for one attempt, with the native model id to put in the body. */
export interface RouteChoice {
  backend: RuntimeBackend;
  nativeModel: string;
}

/**
 * Orders the backends able to serve `canonicalModel`: primary pool before fallback
 * (DESIGN.md, Routing); within a pool, healthy before degraded, then fewest requests in
 * flight relative to the RPM limit. Disabled and `down` backends and those in `exclude` are
 * left out.
 */
export function candidates(
  registry: BackendRegistry,
  canonicalModel: string,
  opts: { exclude?: ReadonlySet<string>; inFlight?: (id: string) => number } = {},
): RouteChoice[] {
  const inFlight = opts.inFlight ?? (() => 0);
  const out: RouteChoice[] = [];
  for (const pool of POOLS) {
    const inPool: RouteChoice[] = [];
    for (const b of registry.all()) {
      if (b.pool !== pool || !b.enabled || b.state === "down" || opts.exclude?.has(b.id)) continue;
      const mapping = b.models.get(canonicalModel);
      if (mapping) inPool.push({ backend: b, nativeModel: mapping.native });
    }
    inPool.sort(
      (x, y) =>
        stateRank(x.backend) - stateRank(y.backend) ||
        inFlight(x.backend.id) / x.backend.rpmLimit - inFlight(y.backend.id) / y.backend.rpmLimit,
    );
    out.push(...inPool);
  }
  return out;
}

function stateRank(b: RuntimeBackend): number {
  return b.state === "healthy" ? 0 : 1;
}

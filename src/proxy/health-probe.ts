import { coerceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { BackendState } from "../types.ts";
import type { BackendRuntime } from "./backend-runtime.ts";
import type { RuntimeBackend } from "./backend-service.ts";
import type { BackendRegistry } from "./registry.ts";
import type { UpstreamClient } from "./upstream.ts";

/** Consecutive failed probes after which a backend is `down` (one makes it `degraded`). */
export const DOWN_AFTER_FAILURES = 3;

/**
 * State after a probe: a 2xx (or 429: alive, only busy) is healthy;
 * anything else counts a failure: 1–2 in a row degraded, 3 or more down.
 */
export function nextState(ok: boolean, failuresInARow: number): BackendState {
  if (ok) return "healthy";
  return failuresInARow >= DOWN_AFTER_FAILURES ? "down" : "degraded";
}

/**
 * One probe: `GET {baseUrl}/models` with the key. ok for a 2xx (or a 429: alive, only
 * busy); `detail` says what was seen (HTTP status or the connection error).
 */
export async function probeBackend(
  upstream: UpstreamClient,
  b: { baseUrl: string; apiKey: string },
  timeoutMs = 5000,
): Promise<{ ok: boolean; detail: string }> {
  try {
    const res = await upstream.request({
      baseUrl: b.baseUrl,
      path: "/models",
      method: "GET",
      apiKey: b.apiKey,
      timeoutMs,
    });
    res.body.resume();
    const ok = (res.status >= 200 && res.status < 300) || res.status === 429;
    return { ok, detail: `GET /models answered HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, detail: `GET /models failed: ${coerceError(err).message}` };
  }
}

/** Probes every backend with `GET {base}/models` on an interval. */
export interface HealthProber {
  start(): void;
  stop(): void;
  /** Probes every enabled backend once now; resolves when all answered or timed out. */
  probeAll(): Promise<void>;
}

/** Builds the prober. `onChange` persists a state change (not awaited by the request path). */
export function createHealthProber(deps: {
  registry: BackendRegistry;
  runtime: BackendRuntime;
  upstream: UpstreamClient;
  logger: Logger;
  intervalMs: number;
  timeoutMs?: number;
  onChange: (backend: RuntimeBackend, state: BackendState) => Promise<void>;
}): HealthProber {
  const failures = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;

  async function probe(b: RuntimeBackend): Promise<void> {
    const { ok, detail } = await probeBackend(deps.upstream, b, deps.timeoutMs);
    const n = ok ? 0 : (failures.get(b.id) ?? 0) + 1;
    failures.set(b.id, n);
    const state = nextState(ok, n);
    if (state !== deps.runtime.stateOf(b)) {
      deps.runtime.setState(b.id, state);
      deps.logger.info({ backend: b.name, state, detail }, "backend state changed");
      await deps
        .onChange(b, state)
        .catch((err) =>
          deps.logger.error({ err: coerceError(err).message }, "saving backend state failed"),
        );
    }
  }

  const probeAll = async () => {
    await Promise.all(
      deps.registry
        .all()
        .filter((b) => b.enabled)
        .map(probe),
    );
  };

  return {
    start() {
      timer = setInterval(() => void probeAll(), deps.intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
    probeAll,
  };
}

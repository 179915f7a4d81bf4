import type { Changed } from "./change-feed.ts";
import type { ReplicaModule } from "./replica-module.ts";

/** The services whose in-memory state follows the shared tables, and the role holders. */
export interface ReplicatedServices {
  /** Backends and their model mappings (the proxy's registry). */
  reloadBackends(): Promise<void>;
  /** Proxy keys. */
  reloadAgentKeys(): Promise<void>;
  /** Running 429 cooldowns. */
  syncCooldowns(): Promise<void>;
  /** Mutes (they are also re-checked by version before every ingest). */
  reloadMutes(): Promise<void>;
  /** Heartbeat agents: the named ones, or all. */
  refreshAgents(names?: ReadonlySet<string>): Promise<void>;
  /** Turns the heartbeat watchdog on or off (role `watchdog`). */
  setWatching(on: boolean): Promise<void>;
  /** Turns Bot API long polling on or off (role `telegram`); absent without a polling bot. */
  setPolling?: (on: boolean) => Promise<void>;
}

/**
 * Connects the replica module to the services (docs/operations.md, Scaling out): each
 * shared table's change reloads what depends on it, and each role starts and stops its
 * work. Call before {@link ReplicaModule.start}.
 */
export function wireReplicas(r: ReplicaModule, s: ReplicatedServices): void {
  r.feed.on("backends", () => s.reloadBackends());
  r.feed.on("backend_models", () => s.reloadBackends());
  r.feed.on("agents", () => s.reloadAgentKeys());
  r.feed.on("cooldown_events", () => s.syncCooldowns());
  r.feed.on("mutes", () => s.reloadMutes());
  r.feed.on("agent_states", (c: Changed) => s.refreshAgents(c.all ? undefined : c.keys));
  r.elector.want("watchdog", {
    onAcquire: () => s.setWatching(true),
    onRelease: () => s.setWatching(false),
  });
  const setPolling = s.setPolling;
  if (setPolling) {
    r.elector.want("telegram", {
      onAcquire: () => setPolling(true),
      onRelease: () => setPolling(false),
    });
  }
}

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
  /** Turns the escalation and repeat ticks on or off (also role `watchdog`). */
  setEscalating?: (on: boolean) => Promise<void>;
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
  // The watchdog role runs every clock-driven check over shared state: heartbeat stalls and
  // notification escalations, so each is evaluated by one replica at a time.
  r.elector.want("watchdog", {
    onAcquire: async () => {
      await s.setWatching(true);
      await s.setEscalating?.(true);
    },
    onRelease: async () => {
      await s.setEscalating?.(false);
      await s.setWatching(false);
    },
  });
  const setPolling = s.setPolling;
  if (setPolling) {
    r.elector.want("telegram", {
      onAcquire: () => setPolling(true),
      onRelease: () => setPolling(false),
    });
  }
}

import type { AutonomyPoint } from "../autonomy/autonomy-service.ts";
import type { IncidentService } from "../incidents/incident-service.ts";
import type { MuteService } from "../mutes/mute-service.ts";
import type { OutboxRepository, OutboxStats } from "../outbox/outbox-repository.ts";
import type { BackendRegistry } from "../proxy/registry.ts";
import type { ScheduleStatus } from "../scheduler/schedule-status.ts";
import type { BackendState, Clock, Pool } from "../types.ts";
import { POOLS } from "../types.ts";

/** Backends of one pool counted by state; disabled ones apart. */
export type PoolCounts = Record<BackendState | "disabled", number>;

/** The one-screen status of /status (issue 2). */
export interface StatusSnapshot {
  incidents: { open: number; acknowledged: number };
  outbox: OutboxStats;
  /** Mutes in force, and events they kept from the chat in the last 24 h. */
  mutes: { active: number; mutedEvents24h: number };
  backends: Record<Pool, PoolCounts>;
  uptimeMs: number;
  botOn: boolean;
  /** Last run of each scheduled job (issue 6); absent when no scheduler is wired. */
  schedules?: ScheduleStatus;
  /** Autonomy index of the last 7 days; absent when not wired. */
  autonomy?: AutonomyPoint;
}

/** Gathers the /status snapshot from the services. */
export type StatusService = ReturnType<typeof createStatusService>;

/** Builds the status service. `startedAt`: process start, for uptime. */
export function createStatusService(deps: {
  clock: Clock;
  startedAt: Date;
  incidents: IncidentService;
  outbox: OutboxRepository;
  registry: BackendRegistry;
  mutes: MuteService;
  botOn: boolean;
  /** Last run of each scheduled job (src/scheduler). */
  schedules?: () => Promise<ScheduleStatus>;
  /** The autonomy index over `[from, to)` (src/autonomy). */
  autonomy?: (w: { from: Date; to: Date }) => Promise<AutonomyPoint>;
}) {
  return {
    async snapshot(): Promise<StatusSnapshot> {
      const now = deps.clock.now();
      const backends = Object.fromEntries(
        POOLS.map((p) => [p, { healthy: 0, degraded: 0, down: 0, disabled: 0 }]),
      ) as Record<Pool, PoolCounts>;
      for (const b of deps.registry.all()) {
        backends[b.pool][b.enabled ? b.state : "disabled"]++;
      }
      return {
        incidents: await deps.incidents.countOpen(),
        outbox: await deps.outbox.stats(now),
        mutes: {
          active: await deps.mutes.ensureFresh().then(() => deps.mutes.activeCount(now)),
          mutedEvents24h: await deps.mutes.mutedEventsSince(
            new Date(now.getTime() - 24 * 3_600_000),
          ),
        },
        backends,
        uptimeMs: now.getTime() - deps.startedAt.getTime(),
        botOn: deps.botOn,
        schedules: await deps.schedules?.(),
        autonomy: await deps.autonomy?.({
          from: new Date(now.getTime() - 7 * 86_400_000),
          to: now,
        }),
      };
    },
  };
}

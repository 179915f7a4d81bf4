import type { HealPlanRow, IncidentRow, SmokeRunRow } from "../../db/schema/index.ts";
import type { AutonomyPoint } from "../autonomy/autonomy-service.ts";
import type { AgentView } from "../heartbeats/agent-views.ts";
import type { IncidentTag } from "../incidents/incident-ref.ts";
import type { IncidentService } from "../incidents/incident-service.ts";
import type { MuteService } from "../mutes/mute-service.ts";
import type { OutboxRepository, OutboxStats } from "../outbox/outbox-repository.ts";
import type { BackendRegistry } from "../proxy/registry.ts";
import type { ReplicaListing } from "../replicas/membership.ts";
import type { ScheduleStatus } from "../scheduler/schedule-status.ts";
import type { BackendState, Clock, Pool } from "../types.ts";
import { POOLS } from "../types.ts";

/** Backends of one pool counted by state; disabled ones apart. */
export type PoolCounts = Record<BackendState | "disabled", number>;

/** Unacknowledged incidents listed on the home screen at most (the rest are counted). */
export const HOME_INCIDENTS = 3;

/** A backend that cannot take requests now: cooling down until `until`, or probed down. */
export interface BackendTrouble {
  name: string;
  pool: Pool;
  state: "cooling" | "down";
  /** End of the cooldown (cooling only). */
  until?: Date;
}

/** What needs a person, first on /status. Each list is empty when nothing waits. */
export interface Attention {
  /** Plans awaiting approval, oldest first, with their incident's number when linked. */
  plans: { plan: HealPlanRow; incidentNumber?: number }[];
  /** Open incidents nobody acknowledged, oldest first ({@link HOME_INCIDENTS} at most). */
  incidents: { row: IncidentRow; place?: string }[];
  /** Agents escalated (silent past their last stall level) or paused. */
  agents: Pick<AgentView, "name" | "state" | "ageMs" | "task">[];
  /** Enabled backends cooling down or down. */
  backends: BackendTrouble[];
  /** The newest smoke run (its own outcome, not whether the job ran); absent before the first. */
  smoke?: Pick<SmokeRunRow, "ranAt" | "overall" | "checks">;
}

/** The one-screen status of /status. */
export interface StatusSnapshot {
  /** When the snapshot was taken. */
  at: Date;
  incidents: { open: number; acknowledged: number };
  outbox: OutboxStats;
  /** Mutes in force, and events they kept from the chat in the last 24 h. */
  mutes: { active: number; mutedEvents24h: number };
  backends: Record<Pool, PoolCounts>;
  uptimeMs: number;
  botOn: boolean;
  /** What needs a person first. */
  attention: Attention;
  /** Last run of each scheduled job; absent when no scheduler is wired. */
  schedules?: ScheduleStatus;
  /** Autonomy index of the last 7 days; absent when not wired. */
  autonomy?: AutonomyPoint;
  /** Live replicas and their roles (docs/operations.md, Scaling out); absent when not wired. */
  replicas?: ReplicaListing;
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
  /** Numbers and places of incidents (src/incidents/incident-ref.ts). */
  incidentTags?: (ids: readonly string[]) => Promise<Map<string, IncidentTag>>;
  /** Heal plans awaiting approval (src/heal). */
  pendingPlans?: () => Promise<HealPlanRow[]>;
  /** Every known agent (src/heartbeats). */
  agents?: () => AgentView[];
  /** Backends with their running cooldown end (ISO) or null (src/proxy). */
  liveBackends?: () => Promise<
    {
      name: string;
      pool: Pool;
      enabled: boolean;
      state: BackendState;
      cooldown_until: string | null;
    }[]
  >;
  /** The newest smoke run (src/smoke). */
  latestSmoke?: () => Promise<SmokeRunRow | undefined>;
  /** Last run of each scheduled job (src/scheduler). */
  schedules?: () => Promise<ScheduleStatus>;
  /** The autonomy index over `[from, to)` (src/autonomy). */
  autonomy?: (w: { from: Date; to: Date }) => Promise<AutonomyPoint>;
  /** Live replicas and role holders (src/replicas). */
  replicas?: () => Promise<ReplicaListing>;
}) {
  async function attention(): Promise<Attention> {
    const plans = (await deps.pendingPlans?.()) ?? [];
    const open = await deps.incidents.unacknowledged(HOME_INCIDENTS);
    const ids = [
      ...plans.flatMap((p) => (p.incidentId ? [p.incidentId] : [])),
      ...open.map((i) => i.id),
    ];
    const tags = (await deps.incidentTags?.(ids)) ?? new Map<string, IncidentTag>();
    const backends: BackendTrouble[] = [];
    for (const b of (await deps.liveBackends?.()) ?? []) {
      if (!b.enabled) continue;
      if (b.cooldown_until)
        backends.push({
          name: b.name,
          pool: b.pool,
          state: "cooling",
          until: new Date(b.cooldown_until),
        });
      else if (b.state === "down") backends.push({ name: b.name, pool: b.pool, state: "down" });
    }
    const agents = (deps.agents?.() ?? [])
      .filter((a) => a.state === "escalated" || a.state === "paused")
      .sort((a, b) => (a.state === b.state ? b.ageMs - a.ageMs : a.state === "escalated" ? -1 : 1))
      .map(({ name, state, ageMs, task }) => ({ name, state, ageMs, task }));
    return {
      plans: plans.map((plan) => ({
        plan,
        incidentNumber: plan.incidentId ? tags.get(plan.incidentId)?.number : undefined,
      })),
      incidents: open.map((row) => ({ row, place: tags.get(row.id)?.place })),
      agents,
      backends,
      smoke: await deps.latestSmoke?.(),
    };
  }

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
        at: now,
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
        attention: await attention(),
        schedules: await deps.schedules?.(),
        autonomy: await deps.autonomy?.({
          from: new Date(now.getTime() - 7 * 86_400_000),
          to: now,
        }),
        replicas: await deps.replicas?.(),
      };
    },
  };
}

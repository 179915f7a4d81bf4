import type { Database } from "../../db/client.ts";
import type { Logger } from "../logger.ts";
import type { RpmLimiter } from "../proxy/rpm-limiter.ts";
import { createChangeFeed } from "./change-feed.ts";
import { createMembership, type ReplicaListing } from "./membership.ts";
import type { ReplicaIdentity } from "./replica-identity.ts";
import { createRoleElector } from "./role-elector.ts";
import { createSharedRpmLimiter } from "./shared-rpm.ts";

/** Dependencies of {@link createReplicaModule}. */
export interface ReplicaModuleDeps {
  database: Database;
  identity: ReplicaIdentity;
  logger: Logger;
  /** Membership renewal period (ms, `REPLICA_RENEW_S`). */
  renewMs: number;
  /** Role checks (ms, default 1000) and change polls (ms, default 5000); tests shorten them. */
  roleCheckMs?: number;
  changePollMs?: number;
}

/** Membership, roles, the change feed and the shared RPM limit of this replica. */
export type ReplicaModule = ReturnType<typeof createReplicaModule>;

/**
 * Builds what makes N replicas on one Postgres act as one product (docs/operations.md,
 * Scaling out): membership rows, roles held by advisory locks, changes of shared tables
 * heard through LISTEN/NOTIFY, and the RPM limit shared through `rpm_buckets`. On PGlite
 * (one process by construction) this process holds every role, the feed stays idle and the
 * RPM limit stays in memory (`limiter` undefined).
 */
export function createReplicaModule(deps: ReplicaModuleDeps) {
  const { database, identity, logger } = deps;
  const coordination = database.coordination;
  const log = logger.child({ component: "replicas", replica: identity.id });
  const elector = createRoleElector({ coordination, logger: log, checkMs: deps.roleCheckMs });
  const feed = createChangeFeed({
    db: database.db,
    coordination,
    replicaId: identity.id,
    logger: log,
    pollMs: deps.changePollMs,
  });
  const membership = createMembership({
    db: database.db,
    identity,
    logger: log,
    renewMs: deps.renewMs,
    roles: () => elector.held(),
    sessionPid: () => elector.sessionPid(),
    shared: coordination !== undefined,
  });
  const limiter: RpmLimiter | undefined = coordination
    ? createSharedRpmLimiter({
        db: database.db,
        logger: log,
        replicaCount: () => membership.liveCount(),
      })
    : undefined;
  elector.onChange(() => {
    membership
      .register()
      .catch((err: unknown) => log.warn({ err: String(err) }, "writing held roles failed"));
  });

  return {
    identity,
    elector,
    feed,
    /** The shared RPM limiter on Postgres; undefined on PGlite. */
    limiter,
    /** True when other processes may share the database (Postgres). */
    shared: coordination !== undefined,
    /** Live replicas and who holds each role. */
    list: (): Promise<ReplicaListing> => membership.list(),
    /**
     * Registers this replica, starts hearing changes, then competes for the roles: resolves
     * once the first attempt is done. Call before serving requests, so nothing is served
     * before changes are heard. `port`: the configured HTTP port (0 until known).
     */
    async start(port = 0): Promise<void> {
      membership.setPort(port);
      await membership.register();
      membership.start();
      await feed.start();
      await elector.start();
    },
    /** Records the HTTP port this replica listens on (shown in the listing). */
    async setPort(port: number): Promise<void> {
      membership.setPort(port);
      await membership.register();
    },
    /** Gives up the roles, stops hearing changes and removes this replica's row. */
    async stop(): Promise<void> {
      await elector.stop();
      await feed.stop();
      await membership.stop();
    },
  };
}

import type { FastifyInstance } from "fastify";
import type { ReplicaListing } from "../../replicas/membership.ts";

/**
 * `GET /api/admin/replicas`: the live replicas on this database and the holder of each role
 * (docs/operations.md, Scaling out), e.g.
 * `{ "self": "01K…", "roles": { "telegram": "01K…", "watchdog": "01K…" },
 *    "replicas": [ { "id", "host", "pid", "version", "port", "started_at", "last_seen_at",
 *                    "roles": ["telegram"], "self": true } ] }`. A role whose holder died is
 * `null` until another replica takes it (within a second or two).
 */
export function registerReplicaAdminRoutes(
  app: FastifyInstance,
  deps: { replicas: () => Promise<ReplicaListing> },
): void {
  app.get("/api/admin/replicas", async () => {
    const { replicas, holders } = await deps.replicas();
    return {
      self: replicas.find((r) => r.self)?.id ?? null,
      roles: holders,
      replicas: replicas.map((r) => ({
        id: r.id,
        host: r.host,
        pid: r.pid,
        version: r.version,
        port: r.port,
        started_at: r.startedAt.toISOString(),
        last_seen_at: r.lastSeenAt.toISOString(),
        roles: r.roles,
        self: r.self,
      })),
    };
  });
}

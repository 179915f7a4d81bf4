import type { FastifyInstance } from "fastify";
import type { Metrics } from "../../metrics.ts";

/** `/healthz` (no I/O), `/readyz` (database round trip), `/metrics` (Prometheus text). */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { ping: () => Promise<void>; metrics: Metrics; refreshGauges: () => Promise<void> },
): void {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    try {
      await deps.ping();
      return { status: "ok", database: "ok" };
    } catch {
      return reply.code(503).send({ status: "unavailable", database: "unreachable" });
    }
  });
  app.get("/metrics", async (_req, reply) => {
    try {
      await deps.refreshGauges();
    } catch {
      /* the gauges keep their last values when the database is away */
    }
    reply.header("content-type", deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}

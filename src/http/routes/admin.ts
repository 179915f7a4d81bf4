import type { FastifyInstance } from "fastify";
import type { AutonomyService } from "../../autonomy/autonomy-service.ts";
import type { HealService } from "../../heal/heal-service.ts";
import type { OutboxRepository } from "../../outbox/outbox-repository.ts";
import type { ProxyModule } from "../../proxy/proxy-module.ts";
import type { ReplicaListing } from "../../replicas/membership.ts";
import type { SmokeStore } from "../../smoke/smoke-store.ts";
import type { Clock } from "../../types.ts";
import { authenticate, bearerScheme } from "../auth.ts";
import { registerAutonomyAdminRoutes } from "./admin-autonomy.ts";
import { registerDeliveryAdminRoutes } from "./admin-deliveries.ts";
import { registerProxyAdminRoutes } from "./admin-proxy.ts";
import { registerReplicaAdminRoutes } from "./admin-replicas.ts";
import { registerSmokeAdminRoutes } from "./admin-smoke.ts";
import { registerHealPlanAdminRoutes } from "./heal-plans.ts";

/** `/api/admin/*`, bearer `ADMIN_TOKEN` (README, HTTP surface). */
export function registerAdminRoutes(
  app: FastifyInstance,
  deps: {
    adminToken: string | undefined;
    proxy: ProxyModule;
    timeZone: string;
    outbox: OutboxRepository;
    clock: Clock;
    /** Smoke history for the NDJSON export. */
    smoke: Pick<SmokeStore, "page">;
    /** Heal plans and their audit. */
    heal?: HealService;
    /** The autonomy index series (`/api/admin/stats/autonomy`). */
    autonomy?: Pick<AutonomyService, "series">;
    /** Live replicas and role holders (src/replicas). */
    replicas?: () => Promise<ReplicaListing>;
  },
): void {
  app.register(async (admin) => {
    // onRequest: the token is checked before the body is read.
    admin.addHook(
      "onRequest",
      authenticate(bearerScheme("admin", deps.adminToken, "ADMIN_TOKEN"), app.authLimiter),
    );

    registerProxyAdminRoutes(admin, {
      proxy: deps.proxy,
      clock: deps.clock,
      timeZone: deps.timeZone,
    });

    registerDeliveryAdminRoutes(admin, { outbox: deps.outbox, clock: deps.clock });

    registerSmokeAdminRoutes(admin, { store: deps.smoke });

    if (deps.heal) registerHealPlanAdminRoutes(admin, deps.heal);

    if (deps.autonomy) registerAutonomyAdminRoutes(admin, { autonomy: deps.autonomy });
    if (deps.replicas) registerReplicaAdminRoutes(admin, { replicas: deps.replicas });
  });
}

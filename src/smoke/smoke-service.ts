import { performance } from "node:perf_hooks";
import type { Db } from "../../db/client.ts";
import type { SmokeRunRow } from "../../db/schema/index.ts";
import { coerceError } from "../errors.ts";
import type { EventRouter } from "../events/event-router.ts";
import { ulid } from "../ids.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import { syncSmokeAlerts } from "./smoke-alerts.ts";
import { runChecks, type SmokeProbeDeps } from "./smoke-probes.ts";
import type { SmokeStore } from "./smoke-store.ts";
import { type CheckResult, worst } from "./smoke-types.ts";

/** A finished smoke run: the compact row plus the detail lines (shown once, not stored). */
export interface SmokeRun extends SmokeRunRow {
  results: CheckResult[];
  /** False when the history row could not be written (the database is down, say). */
  saved: boolean;
}

/** Dependencies of {@link createSmokeService}. */
export interface SmokeServiceDeps extends SmokeProbeDeps {
  store: SmokeStore;
  router: Pick<EventRouter, "ingest">;
  logger: Logger;
  metrics: Pick<Metrics, "smokeCheckStatus">;
  db: Db;
}

/** Runs smoke checks, stores them, raises their alerts. */
export type SmokeService = ReturnType<typeof createSmokeService>;

const LEVEL_VALUE = { ok: 0, warning: 1, critical: 2, skipped: -1 } as const;

/** Builds the smoke service. */
export function createSmokeService(deps: SmokeServiceDeps) {
  const log = deps.logger.child({ component: "smoke" });
  return {
    store: deps.store,

    /**
     * Runs every check now, stores the compact run, sets the `commandpost_smoke_check_status`
     * gauge and syncs smoke alerts with the EventRouter. Storage and alert failures are
     * logged, never thrown: the caller still gets the results to show.
     */
    async run(trigger: SmokeRunRow["trigger"]): Promise<SmokeRun> {
      const ranAt = deps.clock.now();
      const t0 = performance.now();
      const results = await runChecks(deps);
      const row: SmokeRunRow = {
        id: ulid(),
        ranAt,
        trigger,
        overall: worst(results.map((r) => r.status)),
        checks: Object.fromEntries(results.map((r) => [r.name, r.status])),
        durationMs: Math.round(performance.now() - t0),
      };
      let saved = true;
      try {
        await deps.store.insert(row);
      } catch (err) {
        saved = false;
        log.error({ err: coerceError(err).message }, "storing the smoke run failed");
      }
      for (const r of results)
        deps.metrics.smokeCheckStatus.set({ check: r.name }, LEVEL_VALUE[r.status]);
      try {
        await syncSmokeAlerts(deps, results, deps.clock.now());
      } catch (err) {
        log.error({ err: coerceError(err).message }, "raising smoke alerts failed");
      }
      if (row.overall !== "ok") {
        const failing = results.filter((r) => r.status === "warning" || r.status === "critical");
        log.warn(
          { overall: row.overall, checks: failing.map((r) => `${r.name}:${r.status}`) },
          "smoke run not ok",
        );
      }
      return { ...row, results, saved };
    },
  };
}

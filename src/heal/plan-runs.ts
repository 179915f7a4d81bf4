import type { Db, DbOrTx } from "../../db/client.ts";
import type { HealPlanRow } from "../../db/schema/index.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "../types.ts";
import { type HealSettings, runningLimitMs } from "./heal-config.ts";
import { interruptedReason, type Runner, runnerFrom } from "./plan-recovery.ts";
import type { PlanStore } from "./plan-store.ts";

/** Dependencies of {@link createPlanRuns}. */
export interface PlanRunsDeps {
  db: Db;
  store: PlanStore;
  clock: Clock;
  logger: Logger;
  settings: Pick<HealSettings, "fixerTimeoutMs" | "health" | "commandTimeoutMs">;
  /** This process as a runner. */
  self: Runner;
  /** Whether a pid on this host is alive. */
  alive: (pid: number) => boolean;
  /** Edits the plan's message in `tx`; `line` becomes its progress line. */
  redraw(plan: HealPlanRow, tx: DbOrTx, line?: string): Promise<void>;
  onQueued: () => void;
}

/**
 * The start of an execution and the recovery of executions whose process stopped:
 * a plan is `running` only with a `running` audit row naming its runner, written together.
 */
export function createPlanRuns(deps: PlanRunsDeps) {
  const { db, store, clock, self } = deps;

  return {
    /**
     * approved → running, with the `running` audit row naming this process as the runner and
     * the message edit, in one transaction; undefined when the plan is no longer approved.
     * @throws a unique violation (SQLSTATE 23505) when another plan, perhaps in another
     *   process, runs on the same target: `heal_plans_running_target_idx` allows one.
     */
    async begin(approved: HealPlanRow): Promise<HealPlanRow | undefined> {
      const now = clock.now();
      const plan = await db.transaction(async (tx) => {
        const row = await store.transition(
          approved.id,
          "approved",
          "running",
          { startedAt: now },
          tx,
        );
        if (!row) return undefined;
        const detail = { kind: row.kind, target: row.target, runner: self };
        await store.audit(row, "executor", "running", detail, now, tx);
        await deps.redraw(row, tx, "Running…");
        return row;
      });
      if (plan) deps.onQueued();
      return plan;
    },

    /**
     * Crash recovery: `running` plans whose runner is gone ({@link interruptedReason}) become
     * `failed` with the reason (shown on the message), audited as `failed` by `system`.
     * Returns how many were recovered.
     */
    async recover(): Promise<number> {
      const limitMs = runningLimitMs(deps.settings);
      let n = 0;
      for (const plan of await store.inStatus("running")) {
        const runner = runnerFrom((await store.lastStep(plan.id, "running"))?.detail);
        const now = clock.now();
        const why = interruptedReason({
          startedAt: plan.startedAt,
          runner,
          self,
          now,
          limitMs,
          alive: deps.alive,
        });
        if (!why) continue;
        const done = await db.transaction(async (tx) => {
          const patch = { finishedAt: now, reason: why };
          const row = await store.transition(plan.id, "running", "failed", patch, tx);
          if (!row) return false;
          const detail = { reason: why, interrupted: true, runner, incidentId: row.incidentId };
          await store.audit(row, "system", "failed", detail, now, tx);
          await deps.redraw(row, tx);
          return true;
        });
        if (!done) continue;
        n++;
        deps.logger.warn({ plan: plan.id, target: plan.target, runner }, "heal plan interrupted");
      }
      if (n > 0) deps.onQueued();
      return n;
    },
  };
}

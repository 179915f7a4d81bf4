import type { HealPlanRow } from "../../db/schema/index.ts";
import { coerceError } from "../errors.ts";
import { sqlState } from "../events/tx-retry.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "../types.ts";
import { executeCodeFix, preflightCodeFix } from "./code-fix-executor.ts";
import { executeCommandPlan, preflightCommand } from "./command-executor.ts";
import { checkRate, type Verdict } from "./guardrails.ts";
import type { HealSettings } from "./heal-config.ts";
import type { PlanStore } from "./plan-store.ts";
import type { Outcome } from "./step-reporter.ts";

/** Dependencies of {@link createPlanExecutor}. */
export interface PlanExecutorDeps {
  store: PlanStore;
  clock: Clock;
  logger: Logger;
  settings: HealSettings;
  /** Audits a step and, with `progress`, edits the plan message (L5). */
  record(
    plan: HealPlanRow,
    step: string,
    detail: Record<string, unknown>,
    progress?: string,
  ): Promise<void>;
  /**
   * approved → running with its audit row and message edit; undefined when the plan was no
   * longer approved. Throws a unique violation (23505) when another process runs a plan on
   * the same target (`heal_plans_running_target_idx`).
   */
  begin(plan: HealPlanRow): Promise<HealPlanRow | undefined>;
}

/** Refusal reason when another plan runs on the same target. */
const busy = (target: string) => `another plan is running on ${target}`;

/**
 * Runs approved plans asynchronously, one per target at a time, each bounded by its guardrails
 * (L0–L5 and protected resources: README.md, Heal plans). One plan per target holds across
 * processes because the database allows one `running` row per target (a partial unique index); the
 * in-process set only spares the database a doomed write. `idle()` waits for every execution
 * started so far (tests, shutdown).
 */
export function createPlanExecutor(deps: PlanExecutorDeps) {
  const { store, clock, settings } = deps;
  const busyTargets = new Set<string>();
  const running = new Set<Promise<void>>();
  /** Aborted by {@link abort}: running fixers and commands are killed. */
  const halt = new AbortController();

  async function preflight(plan: HealPlanRow): Promise<Verdict> {
    const own =
      plan.kind === "code_fix"
        ? await preflightCodeFix(plan, settings)
        : preflightCommand(plan, settings);
    if (!own.ok) return own;
    return checkRate((since) => store.startedSince(since), clock.now(), settings.maxPerHour);
  }

  async function finish(plan: HealPlanRow, from: "approved" | "running", outcome: Outcome) {
    const done = await store.transition(plan.id, from, outcome.status, { finishedAt: clock.now() });
    await deps.record(
      done ?? plan,
      outcome.status,
      {
        reason: outcome.reason,
        incidentId: plan.incidentId,
      },
      outcome.reason,
    );
  }

  async function execute(approved: HealPlanRow): Promise<void> {
    if (busyTargets.has(approved.target))
      return finish(approved, "approved", { status: "refused", reason: busy(approved.target) });
    busyTargets.add(approved.target);
    try {
      const verdict = await preflight(approved);
      if (!verdict.ok)
        return await finish(approved, "approved", { status: "refused", reason: verdict.reason });
      let plan: HealPlanRow | undefined;
      try {
        plan = await deps.begin(approved);
      } catch (err) {
        if (sqlState(err) !== "23505") throw err;
        return await finish(approved, "approved", {
          status: "refused",
          reason: busy(approved.target),
        });
      }
      if (!plan) return;
      const running = plan;
      const report = (step: string, detail: Record<string, unknown>, progress?: string) =>
        deps.record(running, step, detail, progress);
      let outcome: Outcome;
      try {
        outcome =
          plan.kind === "code_fix"
            ? await executeCodeFix(plan, settings, report, halt.signal)
            : await executeCommandPlan(plan, settings, report, halt.signal);
      } catch (err) {
        outcome = { status: "failed", reason: coerceError(err).message.slice(0, 500) };
      }
      await finish(plan, "running", outcome);
    } finally {
      busyTargets.delete(approved.target);
    }
  }

  return {
    /** Starts executing `plan` (status approved) in the background. */
    start(plan: HealPlanRow): void {
      const p = execute(plan)
        .catch((err: unknown) => deps.logger.error({ err, plan: plan.id }, "heal execution failed"))
        .finally(() => running.delete(p));
      running.add(p);
    },
    /** Resolves when every execution started so far has finished. */
    async idle(): Promise<void> {
      while (running.size > 0) await Promise.all([...running]);
    },
    /** Whether an execution is in progress. */
    busy(): boolean {
      return running.size > 0;
    },
    /**
     * Kills the process groups of running fixers and commands (shutdown); their plans end
     * `failed` with the reason. Executions started later are killed at once.
     */
    abort(): void {
      halt.abort();
    },
  };
}

/** A plan executor. */
export type PlanExecutor = ReturnType<typeof createPlanExecutor>;

import type { HealPlanRow } from "../../db/schema/index.ts";
import { coerceError } from "../errors.ts";
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
}

/**
 * Runs approved plans asynchronously, one per target at a time, each bounded by its
 * guardrails (seed 001 L0–L5, seed 004 protected resources). `idle()` waits for every
 * execution started so far (tests, shutdown).
 */
export function createPlanExecutor(deps: PlanExecutorDeps) {
  const { store, clock, settings } = deps;
  const busyTargets = new Set<string>();
  const running = new Set<Promise<void>>();

  async function preflight(plan: HealPlanRow): Promise<Verdict> {
    const own =
      plan.kind === "code_fix"
        ? await preflightCodeFix(plan, settings)
        : preflightCommand(plan, settings);
    if (!own.ok) return own;
    if (await store.runningOn(plan.target))
      return { ok: false, reason: `another plan is running on ${plan.target}` };
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
    if (busyTargets.has(approved.target)) {
      const reason = `another plan is running on ${approved.target}`;
      return finish(approved, "approved", { status: "refused", reason });
    }
    busyTargets.add(approved.target);
    try {
      const verdict = await preflight(approved);
      if (!verdict.ok)
        return await finish(approved, "approved", { status: "refused", reason: verdict.reason });
      const plan = await store.transition(approved.id, "approved", "running", {
        startedAt: clock.now(),
      });
      if (!plan) return;
      const report = (step: string, detail: Record<string, unknown>, progress?: string) =>
        deps.record(plan, step, detail, progress);
      await report("running", { kind: plan.kind, target: plan.target }, "Running…");
      let outcome: Outcome;
      try {
        outcome =
          plan.kind === "code_fix"
            ? await executeCodeFix(plan, settings, report)
            : await executeCommandPlan(plan, settings, report);
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
  };
}

/** A plan executor. */
export type PlanExecutor = ReturnType<typeof createPlanExecutor>;

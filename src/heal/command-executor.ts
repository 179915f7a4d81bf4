import type { HealPlanRow } from "../../db/schema/index.ts";
import type { HealSettings } from "./heal-config.ts";
import { checkNotProtected } from "./protected.ts";
import { keepOutput } from "./redact.ts";
import { fillTemplate, runProcess } from "./run-process.ts";
import type { Outcome, StepReporter } from "./step-reporter.ts";

/**
 * Runs a restart, rollback or command plan: only the argv template configured for its kind
 * in `HEAL_COMMANDS` (with `{target}` filled in as one argument), through execFile, never a
 * shell string from the request. Protected targets are refused first (seed 004).
 */
export async function executeCommandPlan(
  plan: Pick<HealPlanRow, "kind" | "target">,
  settings: Pick<HealSettings, "commands" | "commandTimeoutMs" | "protectedPattern">,
  report: StepReporter,
): Promise<Outcome> {
  const guard = checkNotProtected(plan.target, settings.protectedPattern);
  if (!guard.ok) return { status: "refused", reason: guard.reason };
  const template = settings.commands[plan.kind];
  if (!template)
    return { status: "refused", reason: `no allowlisted command for ${plan.kind} (HEAL_COMMANDS)` };
  const [file, ...args] = fillTemplate(template, { target: plan.target });
  if (!file) return { status: "refused", reason: "empty command template" };
  await report("command", { argv: [file, ...args] }, "Running the command…");
  const r = await runProcess(file, args, { timeoutMs: settings.commandTimeoutMs });
  const output = keepOutput(`${r.stdout}\n${r.stderr}`.trim());
  await report("command_result", { code: r.code, timedOut: r.timedOut, output });
  return r.code === 0
    ? { status: "succeeded", reason: "command exited 0" }
    : { status: "failed", reason: r.timedOut ? "command timed out" : `command exited ${r.code}` };
}

/**
 * Checks before a restart/rollback/command plan runs: the target is not protected (seed 004)
 * and its kind has an allowlisted command.
 */
export function preflightCommand(
  plan: Pick<HealPlanRow, "kind" | "target">,
  settings: Pick<HealSettings, "commands" | "protectedPattern">,
): { ok: true } | { ok: false; reason: string } {
  const guard = checkNotProtected(plan.target, settings.protectedPattern);
  if (!guard.ok) return guard;
  if (!settings.commands[plan.kind])
    return { ok: false, reason: `no allowlisted command for ${plan.kind} (HEAL_COMMANDS)` };
  return { ok: true };
}

import type { HealPlanRow } from "../../db/schema/index.ts";
import type { HealSettings } from "./heal-config.ts";
import { checkNotProtected } from "./protected.ts";
import { keepOutput } from "./redact.ts";
import { failureOf, fillTemplate, runProcess } from "./run-process.ts";
import type { Outcome, StepReporter } from "./step-reporter.ts";

/**
 * Runs a restart, rollback or command plan: only the argv template configured for its kind
 * in `HEAL_COMMANDS` (with `{target}` filled in as one argument), never through a shell, in
 * its own process group (run-process.ts). Protected targets are refused first.
 */
export async function executeCommandPlan(
  plan: Pick<HealPlanRow, "kind" | "target">,
  settings: Pick<
    HealSettings,
    "commands" | "commandTimeoutMs" | "protectedPattern" | "killGraceMs"
  >,
  report: StepReporter,
  signal?: AbortSignal,
): Promise<Outcome> {
  const guard = checkNotProtected(plan.target, settings.protectedPattern);
  if (!guard.ok) return { status: "refused", reason: guard.reason };
  const template = settings.commands[plan.kind];
  if (!template)
    return { status: "refused", reason: `no allowlisted command for ${plan.kind} (HEAL_COMMANDS)` };
  const [file, ...args] = fillTemplate(template, { target: plan.target });
  if (!file) return { status: "refused", reason: "empty command template" };
  await report("command", { argv: [file, ...args] }, "Running the command…");
  const timing = { timeoutMs: settings.commandTimeoutMs, killGraceMs: settings.killGraceMs };
  const r = await runProcess(file, args, { ...timing, signal });
  const output = keepOutput(`${r.stdout}\n${r.stderr}`.trim());
  const { code, timedOut, overflow } = r;
  await report("command_result", { code, timedOut, overflow, output });
  return code === 0 && !timedOut && !overflow && !r.aborted
    ? { status: "succeeded", reason: "command exited 0" }
    : { status: "failed", reason: failureOf("command", r, timing) };
}

/**
 * Checks before a restart/rollback/command plan runs: the target is not protected
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

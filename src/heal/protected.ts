import type { Verdict } from "./guardrails.ts";

/**
 * Protected resources (seed 004, DESIGN.md): a restart, rollback or command whose target
 * matches `pattern` (default: anything named like a database service, `HEAL_PROTECTED`) is
 * refused whoever approves.
 */
export function checkNotProtected(target: string, pattern: RegExp): Verdict {
  return pattern.test(target)
    ? { ok: false, reason: `protected resource ${target} (matches HEAL_PROTECTED)` }
    : { ok: true };
}

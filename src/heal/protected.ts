import type { Verdict } from "./guardrails.ts";

/**
 * Protected resources: a restart, rollback or command whose target matches `pattern`
 * (default: anything named like a database service, `HEAL_PROTECTED`) is refused whoever
 * approves, since restarting or recreating a datastore can lose data.
 */
export function checkNotProtected(target: string, pattern: RegExp): Verdict {
  return pattern.test(target)
    ? { ok: false, reason: `protected resource ${target} (matches HEAL_PROTECTED)` }
    : { ok: true };
}

import { formatDuration } from "../telegram-format.ts";
import { POOLS } from "../types.ts";
import type { Levels, SmokeThresholds } from "./smoke-config.ts";
import type { CheckResult, Level } from "./smoke-types.ts";

/** `critical` at or above `l.critical`, `warning` at or above `l.warning`, else `ok`. */
export function levelOf(value: number, l: Levels): Level {
  if (value >= l.critical) return "critical";
  if (value >= l.warning) return "warning";
  return "ok";
}

/** Database round trip in ms (`select 1`), against `SMOKE_DB_*_MS`. */
export function checkDatabase(roundTripMs: number, th: SmokeThresholds): CheckResult {
  const ms = Math.round(roundTripMs);
  return {
    name: "database",
    status: levelOf(ms, th.databaseMs),
    detail: `round trip ${ms} ms`,
  };
}

/** Outbox backlog: deliveries waiting and the oldest one's age (the worse of the two rules). */
export function checkOutboxBacklog(
  s: { pending: number; oldestPendingMs: number },
  th: SmokeThresholds,
): CheckResult {
  const byCount = levelOf(s.pending, th.outboxPending);
  const byAge = levelOf(s.oldestPendingMs / 1000, th.outboxAgeS);
  const rank = { ok: 0, warning: 1, critical: 2 } as const;
  const status = rank[byCount] >= rank[byAge] ? byCount : byAge;
  const detail =
    s.pending === 0
      ? "nothing queued"
      : `${s.pending} queued, oldest ${formatDuration(s.oldestPendingMs)}`;
  return { name: "outbox_backlog", status, detail };
}

/** Dead deliveries created in the last 24 h (the total is shown, only the 24 h count is judged). */
export function checkOutboxDead(
  s: { dead24h: number; deadTotal: number },
  th: SmokeThresholds,
): CheckResult {
  const detail =
    s.deadTotal === 0 ? "none" : `${s.dead24h} in the last 24 h (${s.deadTotal} in total)`;
  return { name: "outbox_dead", status: levelOf(s.dead24h, th.dead24h), detail };
}

/** What the backend checks need of a backend (src/proxy BackendLive). */
export interface BackendFact {
  name: string;
  pool: string;
  enabled: boolean;
  state: "healthy" | "degraded" | "down";
  /** End of the running cooldown (ISO), or null. */
  cooldown_until: string | null;
}

/**
 * Healthy backends per pool (probed state). Critical: no enabled backend is healthy or
 * degraded (nothing can answer). Warning: one is down or degraded, or the primary pool has
 * no healthy backend. Skipped while no backend is enabled.
 */
export function checkBackends(backends: readonly BackendFact[]): CheckResult {
  const enabled = backends.filter((b) => b.enabled);
  if (enabled.length === 0)
    return { name: "backends", status: "skipped", detail: "not configured (no enabled backends)" };
  const parts = POOLS.flatMap((pool) => {
    const inPool = enabled.filter((b) => b.pool === pool);
    if (inPool.length === 0) return [];
    return [
      `${pool} ${inPool.filter((b) => b.state === "healthy").length}/${inPool.length} healthy`,
    ];
  });
  const unwell = enabled.filter((b) => b.state !== "healthy");
  const primaryHealthy = enabled.some((b) => b.pool === "primary" && b.state === "healthy");
  let status: Level = "ok";
  if (unwell.length > 0 || !primaryHealthy) status = "warning";
  if (enabled.every((b) => b.state === "down")) status = "critical";
  const down = unwell.map((b) => `${b.name} ${b.state}`).slice(0, 3);
  return {
    name: "backends",
    status,
    detail: [parts.join(", "), ...down].join(" · "),
  };
}

/**
 * Backends cooling down after a 429 now. Critical when every enabled backend cools (the
 * proxy answers 503), warning from `SMOKE_COOLDOWNS_WARNING` of them.
 */
export function checkCooldowns(
  backends: readonly BackendFact[],
  now: Date,
  th: SmokeThresholds,
): CheckResult {
  const enabled = backends.filter((b) => b.enabled);
  if (enabled.length === 0)
    return { name: "cooldowns", status: "skipped", detail: "not configured (no enabled backends)" };
  const left = (b: BackendFact) => new Date(b.cooldown_until ?? 0).getTime() - now.getTime();
  const cooling = enabled.filter((b) => left(b) > 0).sort((a, b) => left(a) - left(b));
  if (cooling.length === 0) return { name: "cooldowns", status: "ok", detail: "none active" };
  const status: Level =
    cooling.length === enabled.length
      ? "critical"
      : cooling.length >= th.cooldownsWarning
        ? "warning"
        : "ok";
  const names = cooling.slice(0, 3).map((b) => `${b.name} ${formatDuration(left(b))}`);
  const more = cooling.length > 3 ? ` +${cooling.length - 3}` : "";
  return {
    name: "cooldowns",
    status,
    detail: `${cooling.length}/${enabled.length} cooling: ${names.join(", ")}${more}`,
  };
}

import type { SmokeStatus } from "../../db/schema/index.ts";

export type { SmokeStatus } from "../../db/schema/index.ts";

/**
 * The smoke checks, in display order. Each only reads (queues, backends, incidents, plans,
 * schedules) and changes nothing, so running them every few minutes is safe.
 * `heal_plans` reads heal_plans; `heartbeats` (from the watchdog's memory) answers `skipped`
 * while no agent has reported.
 */
export const CHECK_NAMES = [
  "database",
  "outbox_backlog",
  "outbox_dead",
  "backends",
  "cooldowns",
  "incidents",
  "heal_plans",
  "heartbeats",
  "schedules",
] as const;
/** A smoke check's name; the event type of its alerts is `smoke_<name>`. */
export type CheckName = (typeof CHECK_NAMES)[number];

/** Check names for people. */
export const CHECK_LABELS: Record<CheckName, string> = {
  database: "database",
  outbox_backlog: "outbox backlog",
  outbox_dead: "dead deliveries",
  backends: "backends",
  cooldowns: "cooldowns",
  incidents: "incidents",
  heal_plans: "heal plans",
  heartbeats: "heartbeats",
  schedules: "schedules",
};

/** One check's answer: a status and one detail line (shown, never stored). */
export interface CheckResult {
  name: CheckName;
  status: SmokeStatus;
  detail: string;
}

/** A status that counts (not `skipped`). */
export type Level = Exclude<SmokeStatus, "skipped">;

/** Status icons used in every smoke message. */
export const STATUS_ICON: Record<SmokeStatus, string> = {
  ok: "🟢",
  warning: "🟡",
  critical: "🔴",
  skipped: "⚪",
};

/** The worst status among `statuses`, ignoring `skipped`; `ok` when none counts. */
export function worst(statuses: readonly SmokeStatus[]): Level {
  if (statuses.includes("critical")) return "critical";
  if (statuses.includes("warning")) return "warning";
  return "ok";
}

/** A check that has nothing to look at yet: `skipped`, saying why (never a made-up number). */
export function notConfigured(name: CheckName, why: string): CheckResult {
  return { name, status: "skipped", detail: `not configured (${why})` };
}

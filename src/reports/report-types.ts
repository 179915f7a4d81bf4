import type { Outcome } from "../events/event-router.ts";
import type { UsageSummary } from "../proxy/stats.ts";
import type { SmokeDistribution } from "../smoke/smoke-stats.ts";

/** The instants a report covers: `from <= t < to`. */
export interface ReportWindow {
  from: Date;
  to: Date;
}

/**
 * Incidents in a window: opened, acknowledged and resolved in it (each counted by the time of
 * that step), with mean time to acknowledge (over the acknowledgements in the window) and to
 * resolve (over the resolutions in the window), in ms; null when there were none.
 */
export interface IncidentStats {
  opened: number;
  acknowledged: number;
  resolved: number;
  /** Of `resolved`, those a person resolved (the rest resolved when their alerts did). */
  resolvedByHand: number;
  mttaMs: number | null;
  mttrMs: number | null;
}

/** Events received in a window by what the EventRouter did with them. */
export interface AlertStats {
  received: number;
  byOutcome: Record<Outcome, number>;
}

/** Proxy usage summed over the hourly rows whose hour starts in the window. */
export interface UsageStats {
  total: UsageSummary;
  byBackend: ({ key: string } & UsageSummary)[];
  byAgent: ({ key: string } & UsageSummary)[];
}

/** 429 cooldowns that started in the window, per backend (most first). */
export interface CooldownStats {
  count: number;
  byBackend: { name: string; count: number }[];
}

/**
 * Autonomy index (seed 002's "AI autonomy rate": the one number that says how much the system
 * handled alone). Of the events received in the window (`events`), `humanTouched` are those a
 * person decided something about: the event was muted (a person made the mute), or its alert
 * or that alert's incident was acknowledged or resolved by a person (resolutions that
 * happened because every alert resolved do not count). `index` = (events − humanTouched) ÷
 * events, 0..1, as of report time; null when there were no events. Heal-plan decisions
 * (issue 5) will count as human decisions once heal plans exist.
 */
export interface AutonomyStats {
  events: number;
  humanTouched: number;
  index: number | null;
}

/**
 * Heal plans in a window (issue 5), counted from the audit trail (heal_audit): each step by
 * the time it happened, so a plan proposed yesterday and approved today counts as approved
 * today. `failed` includes plans interrupted by a restart; `refused` those a guardrail stopped.
 */
export interface HealPlanStats {
  proposed: number;
  approved: number;
  rejected: number;
  expired: number;
  succeeded: number;
  reverted: number;
  failed: number;
  refused: number;
}

/**
 * An extra report section from a later module (e.g. agents and coding sessions, issue 8):
 * a title and plain-text lines (the renderer escapes them), shown after the built-in ones.
 */
export interface ReportSection {
  title: string;
  lines: string[];
}

/** Everything one report shows about one window. */
export interface ReportCore {
  window: ReportWindow;
  incidents: IncidentStats;
  alerts: AlertStats;
  autonomy: AutonomyStats;
  usage: UsageStats;
  cooldowns: CooldownStats;
  smoke: SmokeDistribution;
  /** Heal plans (issue 5); undefined renders as "not configured". */
  healPlans?: HealPlanStats;
  sections: ReportSection[];
}

/** Report kinds: daily (24 h) and weekly (7 days, compared with the 7 days before). */
export type ReportKind = "daily" | "weekly";

/** The input of {@link renderReport}: a pure function of this. */
export interface ReportData {
  kind: ReportKind;
  timeZone: string;
  current: ReportCore;
  /** Weekly reports: the week before, for the change. */
  previous?: ReportCore;
}

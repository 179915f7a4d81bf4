import type { AutonomyDay, AutonomyPoint } from "../autonomy/autonomy-service.ts";
import type { Outcome } from "../events/event-router.ts";
import type { UsageSummary } from "../proxy/stats.ts";
import type { SmokeDistribution } from "../smoke/smoke-stats.ts";
import type { TriageCounts } from "../triage/triage-store.ts";

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
 * Autonomy index of the window (src/autonomy/autonomy-service.ts; docs/triage.md): of the
 * notified events (`notified`), those that needed a human decision (`decided`: an
 * acknowledgement, resolution or mute of their alert or incident, or a heal plan decision
 * for it); `index` = 1 − decided ÷ notified, null without notified events. `trend`: the
 * daily index of the 7 local days ending with the window, oldest first.
 */
export interface AutonomyStats extends AutonomyPoint {
  trend?: AutonomyDay[];
}

/**
 * AI triage in the window: alert triages finished (`alerts`, `byModel` of them answered by
 * the model, the rest by the rules), model calls made (triages and report summaries) and
 * their cost in USD (proxy usage of the built-in agent `commandpost-triage`).
 */
export interface TriageStats extends TriageCounts {
  costUsd: number;
}

/**
 * Heal plans in a window, counted from the audit trail (heal_audit): each step by
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
 * An extra report section from a later module (e.g. agents and coding sessions):
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
  /** Heal plans; undefined renders as "not configured". */
  healPlans?: HealPlanStats;
  /** AI triage counts and cost; undefined when the report source has no triage store. */
  triage?: TriageStats;
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
  /**
   * A short summary of the period written by the triage model (plain text, shown escaped);
   * undefined when no model is configured or none answered.
   */
  summary?: string;
}

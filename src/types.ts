/**
 * Terminology used across commandpost (the names Alertmanager and on-call tools use):
 *
 * - **event**: one normalised thing that happened (an Alertmanager alert, a service event, an
 *   agent stall). Has a ULID, source, type, severity, status and labels.
 * - **fingerprint**: the stable identity of an alert across repeats. Alertmanager's own when
 *   given, else a hash of source + type + labels.
 * - **alert**: the notification state of one fingerprint while it fires: one Telegram message,
 *   a repeat count, who acknowledged it.
 * - **incident**: opened by a critical alert; open → acknowledged → resolved.
 * - **silence / mute**: label matchers that stop matching events from being delivered.
 * - **delivery**: one row of the outbox; a Telegram message (or an edit of one) that is
 *   durably stored before it is sent.
 * - **heal plan**: a proposed fix that a human approves or rejects; bounded by guardrails.
 * - **backend**: one upstream LLM provider endpoint with its key, RPM limit and models.
 * - **pool**: `primary` or `fallback`; the proxy tries primary backends first.
 * - **cooldown**: the time a backend is out of rotation after a 429.
 * - **heartbeat**: an agent's periodic "I am alive" report.
 */

/** Source of the current time; injected so windows and expiries are testable. */
export interface Clock {
  /** Current time. */
  now(): Date;
  /**
   * The current time in ms since the epoch, without making a Date (the proxy reads the time
   * several times per request). A clock without it is read through `now()`: see {@link msNow}.
   */
  nowMs?(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date(), nowMs: Date.now };

/** `clock`'s current time in ms since the epoch. */
export function msNow(clock: Clock): number {
  return clock.nowMs ? clock.nowMs() : clock.now().getTime();
}

/** Alert and event severity: critical opens an incident, warning notifies, info is recorded. */
export type Severity = "critical" | "warning" | "info";

/** Event status as Alertmanager reports it. */
export type EventStatus = "firing" | "resolved";

/** Proxy pool names, tried in this order. */
export const POOLS = ["primary", "fallback"] as const;
/** A proxy pool name. */
export type Pool = (typeof POOLS)[number];

/** Backend health state shown in /status, /backends and /metrics. */
export type BackendState = "healthy" | "degraded" | "down";

import type { AlertRow, MuteRow } from "../../db/schema/index.ts";
import type { Severity } from "../types.ts";
import type { EventInput } from "./event.ts";

/** Dedup window per severity, in ms (`DEDUP_WINDOW_S` and its per-severity overrides). */
export type DedupWindows = Record<Severity, number>;

/** What the router does with one event, decided from the facts in {@link RoutingFacts}. */
export type Decision =
  | { action: "resolve"; alert: AlertRow }
  | { action: "record" }
  | { action: "inhibit"; by: AlertRow }
  | { action: "mute"; mute: MuteRow }
  | { action: "repeat"; alert: AlertRow; renotify: boolean; raised: boolean }
  | { action: "open" };

/** What the router knows when it decides about an event. */
export interface RoutingFacts {
  /** The firing alert with the event's fingerprint, if any. */
  current: AlertRow | undefined;
  /** A firing critical with the same alertname and instance (only looked up for warnings). */
  inhibitor: AlertRow | undefined;
  /** A mute in force whose matchers hold for the event. */
  mute: MuteRow | undefined;
  now: Date;
  windows: DedupWindows;
}

/**
 * True when a repeat of a firing alert should be announced again: the dedup window has
 * passed since its last message and nobody has acknowledged it. Repeats inside the window
 * only edit the message (count and last time). See docs/architecture.md, The path of an alert.
 */
export function renotifyDue(alert: AlertRow, now: Date, windowMs: number): boolean {
  if (alert.acknowledgedAt) return false;
  const last = (alert.lastNotifiedAt ?? alert.startedAt).getTime();
  return now.getTime() - last >= windowMs;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** True when severity `a` is above `b` (critical > warning > info). */
export function outranks(a: Severity, b: Severity): boolean {
  return RANK[a] > RANK[b];
}

/**
 * The routing rules, in Alertmanager's pipeline order (docs/architecture.md, The path of an alert):
 * 1. a resolved event always passes: it resolves the firing alert, or is only recorded;
 * 2. a firing warning is inhibited while a critical with the same alertname and instance
 *    fires (like Alertmanager's `inhibit_rules`);
 * 3. a muted event is stored, not delivered;
 * 4. a repeat of a firing fingerprint is counted (and announced again only after the
 *    dedup window, see {@link renotifyDue}); a repeat of higher severity is an escalation
 *    of the same alert (`raised`): it takes the new severity, name and text in place, like
 *    Grafana OnCall's escalation of one alert group, and a rise to critical is announced
 *    again at once unless acknowledged (one notifying message, the previous one retired);
 * 5. info is recorded (counted in digests); warning and critical open an alert.
 */
export function decide(e: Pick<EventInput, "status" | "severity">, facts: RoutingFacts): Decision {
  if (e.status === "resolved") {
    return facts.current ? { action: "resolve", alert: facts.current } : { action: "record" };
  }
  if (e.severity === "warning" && facts.inhibitor)
    return { action: "inhibit", by: facts.inhibitor };
  if (facts.mute) return { action: "mute", mute: facts.mute };
  if (facts.current) {
    const windowMs = facts.windows[facts.current.severity];
    const raised = outranks(e.severity, facts.current.severity);
    const ping = raised && e.severity === "critical" && !facts.current.acknowledgedAt;
    return {
      action: "repeat",
      alert: facts.current,
      renotify: ping || renotifyDue(facts.current, facts.now, windowMs),
      raised,
    };
  }
  if (e.severity === "info") return { action: "record" };
  return { action: "open" };
}

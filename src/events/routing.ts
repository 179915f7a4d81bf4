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
  | { action: "repeat"; alert: AlertRow; renotify: boolean }
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

/**
 * The routing rules, in Alertmanager's pipeline order (docs/architecture.md, The path of an alert):
 * 1. a resolved event always passes: it resolves the firing alert, or is only recorded;
 * 2. a firing warning is inhibited while a critical with the same alertname and instance
 *    fires (like Alertmanager's `inhibit_rules`);
 * 3. a muted event is stored, not delivered;
 * 4. a repeat of a firing fingerprint is counted (and announced again only after the
 *    dedup window, see {@link renotifyDue});
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
    return {
      action: "repeat",
      alert: facts.current,
      renotify: renotifyDue(facts.current, facts.now, windowMs),
    };
  }
  if (e.severity === "info") return { action: "record" };
  return { action: "open" };
}

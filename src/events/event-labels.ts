import type { InhibitionKey } from "./alert-repository.ts";
import type { EventInput } from "./event.ts";

/**
 * The labels mutes are matched against: the event's own labels, plus `alertname` (the
 * event type), `severity` and `source` where the event does not carry them itself. So
 * `/mute alertname=HighErrorRate` works for Alertmanager alerts and for `POST /api/events`.
 */
export function matchLabels(
  e: Pick<EventInput, "labels" | "type" | "severity" | "source">,
): Record<string, string> {
  return { alertname: e.type, severity: e.severity, source: e.source, ...e.labels };
}

/** The inhibition key of an event: `alertname` (else its type) and `instance` (else ""). */
export function inhibitionKey(e: Pick<EventInput, "labels" | "type">): InhibitionKey {
  return { alertname: e.labels.alertname ?? e.type, instance: e.labels.instance ?? "" };
}

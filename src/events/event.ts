import type { EventStatus, Severity } from "../types.ts";
import type { WebhookGroup } from "./group-key.ts";

/** A normalised event, as every ingest adapter produces it (docs/architecture.md, the path of an alert). */
export interface EventInput {
  source: string;
  type: string;
  severity: Severity;
  status: EventStatus;
  title: string;
  summary: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Alertmanager's own, else {@link computeFingerprint}. */
  fingerprint: string;
  generatorUrl: string | null;
  occurredAt: Date;
  /** Alertmanager's `externalURL` from the webhook (silence links), when it came from one. */
  externalUrl?: string | null;
  /** Alerts Alertmanager left out of the webhook (`truncatedAlerts`), 0 or unset for none. */
  truncatedAlerts?: number;
  /** The Alertmanager group of the webhook that carried it (src/events/group-key.ts). */
  group?: WebhookGroup;
}

/** What an alert keeps from the event that opened it for its message (src/notifications/views/alert.ts). */
export function alertDetails(e: EventInput) {
  return {
    annotations: e.annotations,
    externalUrl: e.externalUrl ?? null,
    truncatedAlerts: e.truncatedAlerts ?? 0,
  };
}

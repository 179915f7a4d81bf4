import type { AlertRow } from "../../db/schema/index.ts";

/** 09:00 in Asia/Taipei, the start of the alert rows below. */
export const ALERT_T0 = new Date("2026-11-23T01:00:00Z");

/**
 * A stored alert row for renderer tests: a firing critical `HighErrorRate` on
 * `momo-app:80` that started at {@link ALERT_T0}, never repeated, acknowledged, muted or
 * grouped; `over` replaces any field.
 */
export function alertRow(over: Partial<AlertRow> = {}): AlertRow {
  return {
    id: "01KAAAAAAAAAAAAAAAAAAAAAAA",
    fingerprint: "fp1",
    source: "alertmanager",
    type: "HighErrorRate",
    severity: "critical",
    status: "firing",
    title: "HighErrorRate",
    summary: "5xx rate above 5%",
    labels: { alertname: "HighErrorRate", job: "momo-app", instance: "momo-app:80" },
    generatorUrl: null,
    annotations: {},
    externalUrl: null,
    truncatedAlerts: 0,
    startedAt: ALERT_T0,
    lastEventAt: ALERT_T0,
    resolvedAt: null,
    eventCount: 1,
    lastNotifiedAt: ALERT_T0,
    notifications: 1,
    acknowledgedBy: null,
    acknowledgedAt: null,
    incidentId: null,
    resolvedBy: null,
    muteId: null,
    groupId: null,
    ...over,
  };
}

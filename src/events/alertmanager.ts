import { z } from "zod";
import type { Severity } from "../types.ts";
import { parseInput } from "../validation.ts";
import type { EventInput } from "./event.ts";
import { computeFingerprint } from "./fingerprint.ts";
import { webhookGroup } from "./group-key.ts";

const labelSet = z.record(z.string(), z.string());
const timestamp = z.iso.datetime({
  offset: true,
  local: false,
  message: "expected an RFC 3339 time",
});

const alertSchema = z.object({
  status: z.enum(["firing", "resolved"]),
  labels: labelSet.refine((l) => typeof l.alertname === "string", "alertname label missing"),
  annotations: labelSet.default({}),
  startsAt: timestamp,
  endsAt: timestamp.optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1).optional(),
});

/**
 * Alertmanager webhook body, version 4
 * (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
 */
export const alertmanagerWebhookSchema = z.object({
  version: z.literal("4", { message: 'expected "4"' }),
  receiver: z.string().optional(),
  status: z.enum(["firing", "resolved"]),
  alerts: z.array(alertSchema).min(1, "at least one alert"),
  groupLabels: labelSet.optional(),
  commonLabels: labelSet.optional(),
  commonAnnotations: labelSet.optional(),
  externalURL: z.string().optional(),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().min(0).optional(),
});

export type AlertmanagerWebhook = z.output<typeof alertmanagerWebhookSchema>;

/** Maps an Alertmanager `severity` label to ours; unknown or missing values become warning. */
export function severityFromLabel(value: string | undefined): Severity {
  const v = value?.toLowerCase();
  if (v === "critical" || v === "page" || v === "error") return "critical";
  if (v === "info" || v === "none" || v === "informational") return "info";
  return "warning";
}

/**
 * Turns a webhook body into one event per alert; each alert keeps its own status (a group
 * can mix firing and resolved alerts, see test/fixtures/alertmanager-resolved.json).
 * @throws InputError naming the field, e.g. `alerts.0.startsAt`.
 */
export function parseAlertmanagerWebhook(body: unknown): EventInput[] {
  const hook = parseInput(alertmanagerWebhookSchema, body);
  const group = webhookGroup(hook.groupKey, hook.groupLabels);
  return hook.alerts.map((a) => {
    const labels = a.labels;
    const alertname = labels.alertname ?? "alert";
    const occurredAt =
      a.status === "resolved" && a.endsAt && !a.endsAt.startsWith("0001") ? a.endsAt : a.startsAt;
    return {
      source: "alertmanager",
      type: alertname,
      severity: severityFromLabel(labels.severity),
      status: a.status,
      title: alertname,
      summary: a.annotations.summary ?? a.annotations.description ?? "",
      labels,
      annotations: a.annotations,
      fingerprint: a.fingerprint ?? computeFingerprint("alertmanager", alertname, labels),
      generatorUrl: a.generatorURL ? a.generatorURL : null,
      occurredAt: new Date(occurredAt),
      externalUrl: hook.externalURL ? hook.externalURL : null,
      truncatedAlerts: hook.truncatedAlerts ?? 0,
      ...(group ? { group } : {}),
    };
  });
}

import type { AlertRow } from "../../../db/schema/index.ts";

/** A link shown under an alert: its label and an http(s) URL. */
export interface AlertLink {
  label: "Source" | "Runbook" | "Dashboard" | "Silence";
  url: string;
}

/** Labels shown elsewhere in the alert message (title, severity, instance line). */
const SHOWN_ELSEWHERE = new Set(["alertname", "severity", "instance"]);

/** Only http(s) URLs become links (a `javascript:` annotation must not). */
function httpUrl(s: string | null | undefined): string | undefined {
  if (!s) return undefined;
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:" ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The labels not shown elsewhere in the message, as one line `name=value name=value`, sorted
 * by name; empty when there are none.
 */
export function compactLabels(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .filter(([k]) => !SHOWN_ELSEWHERE.has(k))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

/**
 * Alertmanager's "new silence" page pre-filled with the alert's labels as equality matchers:
 * `<externalURL>/#/silences/new?filter={a="b",c="d"}` (the filter parameter of Alertmanager's
 * web UI, https://github.com/prometheus/alertmanager/tree/main/ui/app).
 */
export function silenceUrl(externalUrl: string, labels: Readonly<Record<string, string>>): string {
  const matchers = Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`)
    .join(",");
  return `${externalUrl.replace(/\/+$/, "")}/#/silences/new?filter=${encodeURIComponent(`{${matchers}}`)}`;
}

/**
 * The links of an alert, in this order when present: Source (`generatorURL`), Runbook
 * (`runbook_url` annotation), Dashboard (`dashboard_url` annotation), Silence (built from the
 * webhook's `externalURL`). Values that are not http(s) URLs are left out.
 */
export function alertLinks(
  alert: Pick<AlertRow, "generatorUrl" | "annotations" | "externalUrl" | "labels" | "type">,
): AlertLink[] {
  const out: AlertLink[] = [];
  const add = (label: AlertLink["label"], url: string | undefined) => {
    if (url) out.push({ label, url });
  };
  add("Source", httpUrl(alert.generatorUrl));
  add("Runbook", httpUrl(alert.annotations?.runbook_url));
  add("Dashboard", httpUrl(alert.annotations?.dashboard_url));
  const external = httpUrl(alert.externalUrl);
  if (external) {
    add("Silence", silenceUrl(external, { alertname: alert.type, ...alert.labels }));
  }
  return out;
}

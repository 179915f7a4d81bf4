import type {
  IncidentItem,
  OverviewResponse,
  ReplicaItem,
} from "../../../src/dashboard/api-types.ts";
import { chartCard } from "../charts.ts";
import { card, h, kpi, status, table } from "../dom.ts";
import { fmtAgo, fmtInt, fmtPct, fmtTime, fmtUsd } from "../format.ts";
import { STATUS_COLORS } from "../theme.ts";
import type { Page } from "./page.ts";

/** Overview: open incidents, autonomy index, smoke status, replicas, proxy today. */
export const overviewPage: Page = async ({ api, timeZone }) => {
  const d = await api<OverviewResponse>("overview");
  const unresolved = d.incidents.open + d.incidents.acknowledged;
  const kpis = h(
    "div",
    { class: "kpis" },
    kpi(
      "Open incidents",
      fmtInt(unresolved),
      `${d.incidents.open} open · ${d.incidents.acknowledged} acknowledged`,
    ),
    kpi(
      "Autonomy index, 24 h",
      fmtPct(d.autonomy.index),
      `${d.autonomy.decided} of ${d.autonomy.notified} notified events needed a person`,
    ),
    kpi(
      "Smoke",
      d.smoke.overall ?? "no run yet",
      d.smoke.ran_at ? `ran ${fmtAgo(d.smoke.ran_at)}` : "none in 24 h",
    ),
    kpi(
      "Proxy today",
      fmtInt(d.proxy_today.requests),
      `${fmtUsd(d.proxy_today.cost_usd)} · ${fmtInt(d.proxy_today.tokens)} tokens`,
    ),
  );
  const autonomy = chartCard(
    "Autonomy index per day",
    {
      labels: d.autonomy.daily.buckets.labels,
      series: [
        {
          label: "autonomy %",
          kind: "line",
          data: d.autonomy.daily.index.map((x) => (x === null ? null : Math.round(x * 1000) / 10)),
        },
        { label: "notified", data: d.autonomy.daily.notified, axis: "y1", color: "#bab0ac" },
      ],
      y: { max: 100, format: (v) => `${v}%` },
      y1: { title: "notified", count: true },
    },
    "Share of notified warnings and criticals no person had to decide on (acknowledge, resolve, mute, approve or reject a heal plan).",
  );
  const smoke = chartCard("Smoke runs, last 24 h", {
    labels: d.smoke.hourly.buckets.labels,
    stacked: true,
    series: [
      { label: "ok", data: d.smoke.hourly.ok, color: STATUS_COLORS.ok },
      { label: "warning", data: d.smoke.hourly.warning, color: STATUS_COLORS.warning },
      { label: "critical", data: d.smoke.hourly.critical, color: STATUS_COLORS.critical },
    ],
    y: { count: true },
  });
  const checks = card(
    "Smoke checks (latest run)",
    d.smoke.checks.length === 0
      ? h("p", { class: "hint" }, "No smoke run in the last 24 h.")
      : h(
          "div",
          { class: "chips" },
          ...d.smoke.checks.map((c) =>
            h("span", { class: "chip" }, h("span", { class: `dot s-${c.status}` }), c.name),
          ),
        ),
  );
  const incidents = card(
    "Unresolved incidents",
    table<IncidentItem>(
      [
        { title: "", cell: (i) => status(i.status) },
        { title: "incident", cell: (i) => i.title, align: "wrap" },
        { title: "opened", cell: (i) => fmtTime(i.opened_at, timeZone) },
        { title: "id", cell: (i) => i.short_id },
      ],
      d.incidents.items,
      "No open incidents.",
    ),
  );
  const replicas = card(
    "Replicas",
    table<ReplicaItem>(
      [
        { title: "replica", cell: (r) => `${r.id}${r.self ? " (this)" : ""}` },
        { title: "started", cell: (r) => fmtTime(r.started_at, timeZone) },
        { title: "last seen", cell: (r) => (r.last_seen_at ? fmtAgo(r.last_seen_at) : "now") },
      ],
      d.replicas,
      "No replica registered.",
    ),
  );
  return {
    nodes: [
      kpis,
      h("div", { class: "charts" }, autonomy.el, smoke.el),
      incidents,
      checks,
      replicas,
    ],
    charts: [autonomy, smoke],
  };
};

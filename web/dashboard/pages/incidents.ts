import type { IncidentItem, IncidentsResponse } from "../../../src/dashboard/api-types.ts";
import { chartCard } from "../charts.ts";
import { card, h, kpi, status, table } from "../dom.ts";
import { fmtDurationMs, fmtInt, fmtTime } from "../format.ts";
import { STATUS_COLORS } from "../theme.ts";
import type { Page } from "./page.ts";

/** Incidents: a 30-day timeline, MTTA and MTTR, and the incidents of the window. */
export const incidentsPage: Page = async ({ api, timeZone }) => {
  const d = await api<IncidentsResponse>("incidents");
  const s = d.summary;
  const kpis = h(
    "div",
    { class: "kpis" },
    kpi("Opened, 30 days", fmtInt(s.opened), `${s.unresolved_now} unresolved now`),
    kpi("Resolved", fmtInt(s.resolved), `${s.resolved_by_hand} by a person`),
    kpi("MTTA", fmtDurationMs(s.mtta_ms), "mean time to acknowledge"),
    kpi("MTTR", fmtDurationMs(s.mttr_ms), "mean time to resolve"),
  );
  const labels = d.buckets.labels;
  const timeline = chartCard("Incidents per day", {
    labels,
    series: [
      { label: "opened", data: d.opened, color: STATUS_COLORS.critical },
      { label: "acknowledged", data: d.acknowledged, color: STATUS_COLORS.warning },
      { label: "resolved", data: d.resolved, color: STATUS_COLORS.ok },
    ],
    y: { count: true },
  });
  const times = chartCard(
    "MTTA and MTTR per day (minutes)",
    {
      labels,
      series: [
        { label: "MTTA", kind: "line", data: d.mtta_min, color: "#f28e2b" },
        { label: "MTTR", kind: "line", data: d.mttr_min, color: "#4e79a7" },
      ],
    },
    "Means over the acknowledgements and resolutions of each day.",
  );
  const list = card(
    "Incidents in the last 30 days",
    table<IncidentItem>(
      [
        { title: "", cell: (i) => status(i.status) },
        { title: "incident", cell: (i) => i.title, align: "wrap" },
        { title: "opened", cell: (i) => fmtTime(i.opened_at, timeZone) },
        {
          title: "ack after",
          cell: (i) =>
            i.acknowledged_at
              ? fmtDurationMs(Date.parse(i.acknowledged_at) - Date.parse(i.opened_at))
              : "–",
          align: "num",
        },
        {
          title: "resolved after",
          cell: (i) =>
            i.resolved_at
              ? fmtDurationMs(Date.parse(i.resolved_at) - Date.parse(i.opened_at))
              : "–",
          align: "num",
        },
        { title: "by", cell: (i) => i.resolved_by ?? i.acknowledged_by ?? "" },
      ],
      d.items,
      "No incident in the last 30 days.",
    ),
  );
  return {
    nodes: [kpis, h("div", { class: "charts" }, timeline.el, times.el), list],
    charts: [timeline, times],
  };
};

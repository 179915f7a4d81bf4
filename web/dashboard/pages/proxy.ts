import type {
  CooldownItem,
  ProxyRange,
  ProxyResponse,
  UsageSeries,
} from "../../../src/dashboard/api-types.ts";
import { chartCard, type Series } from "../charts.ts";
import { card, h, kpi, segmented, table } from "../dom.ts";
import { fmtCompact, fmtDurationMs, fmtInt, fmtTime, fmtUsd, fmtUsdTick } from "../format.ts";
import type { Page } from "./page.ts";

/** The Proxy page's controls (kept while the app is open). */
const state: { range: ProxyRange; by: "backend" | "agent" } = { range: "72h", by: "backend" };

const per = (s: UsageSeries[], pick: (u: UsageSeries) => (number | null)[]): Series[] =>
  s.map((u) => ({ label: u.key, data: pick(u) }));

/** Proxy: requests, tokens, cost and p95 per hour (72 h) or day (30 d), cooldowns. */
export const proxyPage: Page = async ({ api, timeZone, rerender }) => {
  const d = await api<ProxyResponse>(`proxy?range=${state.range}`);
  const groups = state.by === "backend" ? d.by_backend : d.by_agent;
  const unit = d.buckets.bucket === "hour" ? "per hour" : "per day";
  const controls = h(
    "div",
    { class: "toolbar" },
    segmented(
      [
        { value: "72h", label: "72 h" },
        { value: "30d", label: "30 days" },
      ],
      state.range,
      (v) => {
        state.range = v as ProxyRange;
        rerender();
      },
    ),
    segmented(
      [
        { value: "backend", label: "by backend" },
        { value: "agent", label: "by agent" },
      ],
      state.by,
      (v) => {
        state.by = v as "backend" | "agent";
        rerender();
      },
    ),
  );
  const t = d.totals;
  const kpis = h(
    "div",
    { class: "kpis" },
    kpi("Requests", fmtInt(t.requests), `${fmtInt(t.errors)} errors`),
    kpi(
      "Tokens",
      fmtCompact(t.prompt_tokens + t.completion_tokens),
      `${fmtCompact(t.prompt_tokens)} in · ${fmtCompact(t.completion_tokens)} out`,
    ),
    kpi("Cost", fmtUsd(t.cost_usd)),
    kpi("p95 latency", `${fmtInt(t.latency_p95_ms)} ms`),
    kpi("Cooldowns", fmtInt(d.cooldowns.length)),
  );
  const labels = d.buckets.labels;
  const charts = [
    chartCard(`Requests ${unit}`, {
      labels,
      stacked: true,
      series: per(groups, (u) => u.requests),
      y: { count: true },
    }),
    chartCard(`Tokens ${unit}`, {
      labels,
      stacked: true,
      series: per(groups, (u) => u.tokens),
      y: { format: fmtCompact },
    }),
    chartCard(`Cost ${unit} (USD)`, {
      labels,
      stacked: true,
      series: per(groups, (u) => u.cost_usd),
      y: { format: fmtUsdTick },
    }),
    chartCard(
      `p95 latency ${unit} (ms)`,
      {
        labels,
        series: [
          ...per(groups, (u) => u.p95_ms).map((s) => ({ ...s, kind: "line" as const })),
          { label: "all", kind: "line", data: d.p95_ms, color: "#888888" },
        ],
        y: { format: (v) => `${fmtCompact(v)}` },
      },
      "Upper bound of the latency bucket holding the 95th percentile.",
    ),
    chartCard(`Cooldowns started ${unit}`, {
      labels,
      series: [{ label: "cooldowns", data: d.cooldowns_per_bucket, color: "#e15759" }],
      y: { count: true },
    }),
  ];
  const log = card(
    "Cooldown log",
    table<CooldownItem>(
      [
        { title: "backend", cell: (c) => c.backend },
        { title: "started", cell: (c) => fmtTime(c.started_at, timeZone) },
        { title: "for", cell: (c) => fmtDurationMs(c.duration_s * 1000), align: "num" },
        { title: "strike", cell: (c) => String(c.strike), align: "num" },
        { title: "reason", cell: (c) => c.reason, align: "wrap" },
        {
          title: "cleared",
          cell: (c) =>
            c.cleared_at ? `${fmtTime(c.cleared_at, timeZone)} by ${c.cleared_by ?? "?"}` : "",
        },
      ],
      d.cooldowns,
      "No cooldown in this range.",
    ),
  );
  return {
    nodes: [controls, kpis, h("div", { class: "charts" }, ...charts.map((c) => c.el)), log],
    charts,
  };
};

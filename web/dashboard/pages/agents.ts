import type { AgentItem, AgentsResponse, SessionItem } from "../../../src/dashboard/api-types.ts";
import { chartCard } from "../charts.ts";
import { card, h, kpi, table } from "../dom.ts";
import { fmtCompact, fmtDurationMs, fmtInt, fmtTime, fmtUsd, fmtUsdTick } from "../format.ts";
import type { Page } from "./page.ts";

const STATE_DOT: Record<string, string> = {
  ok: "ok",
  stalled: "warning",
  escalated: "critical",
  paused: "warning",
};

/** Agents: heartbeats, aider sessions and what they cost. */
export const agentsPage: Page = async ({ api, timeZone }) => {
  const d = await api<AgentsResponse>("agents");
  const t = d.sessions.totals;
  const proxyCost = d.proxy_cost_by_agent.reduce((n, a) => n + a.cost_usd, 0);
  const kpis = h(
    "div",
    { class: "kpis" },
    kpi(
      "Agents",
      fmtInt(d.agents.length),
      `${d.agents.filter((a) => a.state === "stalled" || a.state === "escalated").length} stalled`,
    ),
    kpi("aider sessions, 30 days", fmtInt(t.sessions), fmtDurationMs(t.duration_s * 1000)),
    kpi("aider cost", fmtUsd(t.cost_usd), `${fmtCompact(t.tokens)} tokens`),
    kpi("Proxy cost by agents", fmtUsd(proxyCost), "30 days"),
  );
  const beats = chartCard("Heartbeats per hour, 48 h", {
    labels: d.beats.buckets.labels,
    stacked: true,
    series: d.beats.series.map((s) => ({ label: s.key, data: s.counts })),
    y: { count: true },
  });
  const sessions = chartCard("aider sessions and cost per day", {
    labels: d.sessions.buckets.labels,
    series: [
      { label: "sessions", data: d.sessions.count },
      { label: "cost (USD)", data: d.sessions.cost_usd, axis: "y1", color: "#e15759" },
    ],
    y: { count: true, title: "sessions" },
    y1: { format: fmtUsdTick },
  });
  const cost = chartCard("Proxy cost by agent, 30 days (USD)", {
    labels: d.proxy_cost_by_agent.map((a) => a.key),
    horizontal: true,
    series: [{ label: "cost", data: d.proxy_cost_by_agent.map((a) => a.cost_usd) }],
    y: { format: fmtUsdTick },
  });
  const agents = card(
    "Agents",
    table<AgentItem>(
      [
        {
          title: "agent",
          cell: (a) =>
            h("span", {}, h("span", { class: `dot s-${STATE_DOT[a.state] ?? "skipped"}` }), a.name),
        },
        { title: "state", cell: (a) => a.state },
        { title: "class", cell: (a) => a.class },
        { title: "task", cell: (a) => a.task ?? "", align: "wrap" },
        {
          title: "round",
          cell: (a) => (a.round === null ? "" : `${a.round}/${a.max_rounds}`),
          align: "num",
        },
        { title: "last beat", cell: (a) => `${fmtDurationMs(a.age_s * 1000)} ago` },
      ],
      d.agents,
      "No agent has sent a heartbeat.",
    ),
  );
  const recent = card(
    "Recent aider sessions",
    table<SessionItem>(
      [
        { title: "started", cell: (s) => fmtTime(s.started_at, timeZone) },
        { title: "repo", cell: (s) => s.cwd ?? "", align: "wrap" },
        { title: "model", cell: (s) => s.model ?? "" },
        {
          title: "time",
          cell: (s) => (s.duration_s === null ? "running" : fmtDurationMs(s.duration_s * 1000)),
          align: "num",
        },
        {
          title: "tokens",
          cell: (s) => fmtCompact(s.tokens_sent + s.tokens_received),
          align: "num",
        },
        { title: "cost", cell: (s) => fmtUsd(s.cost_usd), align: "num" },
        { title: "errors", cell: (s) => String(s.errors), align: "num" },
      ],
      d.recent_sessions,
      "No aider session in 30 days.",
    ),
  );
  return {
    nodes: [kpis, agents, h("div", { class: "charts" }, beats.el, sessions.el, cost.el), recent],
    charts: [beats, sessions, cost],
  };
};

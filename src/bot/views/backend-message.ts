import type { ProxyApi } from "../../proxy/proxy-apis.ts";
import type { BackendLive } from "../../proxy/proxy-module.ts";
import type { UsageSummary } from "../../proxy/stats.ts";
import { escapeHtml } from "../../telegram-format.ts";
import { formatSpan, formatWhen, zoneNote } from "../../time-format.ts";
import { POOLS } from "../../types.ts";

const STATE_ICON = { healthy: "🟢", degraded: "🟠", down: "🔴" } as const;

/** Icon for a backend: disabled ⚪, cooling 🧊, else its health. */
export function backendIcon(b: BackendLive): string {
  if (!b.enabled) return "⚪";
  if (b.cooldown_until) return "🧊";
  return STATE_ICON[b.state];
}

/** Compact token count: 950, 1.2k, 3.4M. */
export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** USD with enough digits for small amounts: $0.0012, $3.40. */
export function formatUsd(n: number): string {
  return n >= 1 ? `$${n.toFixed(2)}` : `$${n.toFixed(4)}`;
}

function statusLine(b: BackendLive, nowMs: number): string {
  if (!b.enabled) return "disabled";
  const parts: string[] = [b.state];
  if (b.cooldown_until)
    parts.push(`cooling ${formatSpan(Date.parse(b.cooldown_until) - nowMs)} more`);
  parts.push(`RPM ${Math.round(b.rpm_use * 100)}% of ${b.rpm_limit}`);
  return parts.join(" · ");
}

/** The /backends list: backends by pool with state, cooldown left, RPM use and the Responses API. */
export function renderBackendList(backends: readonly BackendLive[], nowMs: number): string {
  if (backends.length === 0)
    return "<b>Backends</b>\nNone yet. Add one with /addbackend or the admin API.";
  const lines = ["<b>Backends</b>"];
  for (const pool of POOLS) {
    const inPool = backends.filter((b) => b.pool === pool);
    lines.push("", `<b>${pool}</b>${inPool.length === 0 ? ": none" : ""}`);
    for (const b of inPool)
      lines.push(
        `${backendIcon(b)} ${escapeHtml(b.name)} · ${statusLine(b, nowMs)}${b.apis.includes("responses") ? " · Responses API" : ""}`,
      );
  }
  lines.push("", "Tap a backend for its models, usage and actions.");
  return lines.join("\n");
}

/** One usage line: requests, errors, tokens, cost, p95. */
export function usageLine(u: UsageSummary): string {
  if (u.requests === 0) return "no requests";
  const err = u.errors ? ` · ${u.errors} error${u.errors === 1 ? "" : "s"}` : "";
  return `${u.requests} req${err} · ${formatTokens(u.prompt_tokens)} in / ${formatTokens(u.completion_tokens)} out · ${formatUsd(u.cost_usd)} · p95 ≤ ${u.latency_p95_ms} ms`;
}

/**
 * The detail screen of one backend: models with prices, today's usage, state; the cooldown's
 * end as `18:12 (in 2m)` with the zone named once.
 */
export function renderBackendDetail(
  b: BackendLive,
  today: UsageSummary,
  nowMs: number,
  timeZone: string,
): string {
  const lines = [
    `${backendIcon(b)} <b>${escapeHtml(b.name)}</b> (${b.pool})${b.label ? ` — ${escapeHtml(b.label)}` : ""}`,
    `State: ${statusLine(b, nowMs)}`,
    `URL: <code>${escapeHtml(b.base_url)}</code>`,
    `Key: <code>${escapeHtml(b.api_key)}</code> · timeout ${formatSpan(b.timeout_ms)}`,
    `APIs: ${b.apis.map(apiLabel).join(", ")}${b.inject_stream_usage ? "" : " · stream usage not asked for"}`,
  ];
  if (b.cooldown_until) {
    const now = new Date(nowMs);
    lines.push(`Cooldown until ${formatWhen(new Date(b.cooldown_until), now, timeZone)}`);
    lines.push(zoneNote(timeZone));
  }
  lines.push("", "<b>Models</b>");
  for (const m of b.models) {
    const price = `$${(m.input_cost_per_token * 1e6).toFixed(2)} / $${(m.output_cost_per_token * 1e6).toFixed(2)} per 1M`;
    lines.push(`${escapeHtml(m.canonical)} → <code>${escapeHtml(m.native)}</code> · ${price}`);
  }
  lines.push("", "<b>Today</b>", usageLine(today));
  return lines.join("\n");
}

const API_LABELS: Record<ProxyApi, string> = {
  chat_completions: "chat",
  completions: "completions",
  embeddings: "embeddings",
  responses: "responses",
};

function apiLabel(api: ProxyApi): string {
  return API_LABELS[api];
}

/** The /usage screen: today's totals by backend and by agent. */
export function renderUsage(
  total: UsageSummary,
  byBackend: readonly ({ key: string } & UsageSummary)[],
  byAgent: readonly ({ key: string } & UsageSummary)[],
  dayLabel: string,
): string {
  const lines = [`<b>Usage today</b> (${escapeHtml(dayLabel)})`, usageLine(total)];
  lines.push("", "<b>By backend</b>");
  if (byBackend.length === 0) lines.push("—");
  for (const g of byBackend) lines.push(`${escapeHtml(g.key)}: ${usageLine(g)}`);
  lines.push("", "<b>By agent</b>");
  if (byAgent.length === 0) lines.push("—");
  for (const g of byAgent) lines.push(`${escapeHtml(g.key)}: ${usageLine(g)}`);
  return lines.join("\n");
}

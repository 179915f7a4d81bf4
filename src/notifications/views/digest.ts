import { change, changePoints, int, pct, usd } from "../../reports/report-format.ts";
import type { ReportCore, ReportData, UsageStats } from "../../reports/report-types.ts";
import { checkOrder, okShare } from "../../smoke/smoke-stats.ts";
import { CHECK_LABELS, type CheckName } from "../../smoke/smoke-types.ts";
import { escapeHtml, formatDuration, formatTime, truncateHtml } from "../../telegram-format.ts";
import { clockTime, zoneNote } from "../../time-format.ts";

/** Backends and agents listed per report; the rest are summed up as "+N more". */
const TOP = 8;

const dur = (ms: number | null) => (ms === null ? "—" : formatDuration(ms));

function incidentLines(c: ReportCore, p?: ReportCore): string[] {
  const i = c.incidents;
  return [
    "<b>Incidents</b>",
    `opened ${i.opened}${change(i.opened, p?.incidents.opened)} · acknowledged ${i.acknowledged}${change(i.acknowledged, p?.incidents.acknowledged)} · resolved ${i.resolved}${change(i.resolved, p?.incidents.resolved)} (${i.resolvedByHand} by hand)`,
    `MTTA ${dur(i.mttaMs)} · MTTR ${dur(i.mttrMs)}${p ? ` (last week ${dur(p.incidents.mttaMs)} · ${dur(p.incidents.mttrMs)})` : ""}`,
  ];
}

function autonomyLines(c: ReportCore, p?: ReportCore): string[] {
  const a = c.autonomy;
  const head =
    a.index === null
      ? "🤖 Autonomy: no notified events"
      : `🤖 Autonomy ${pct(a.index)}${changePoints(a.index, p?.autonomy.index)}: ${int(a.notified - a.decided)} of ${int(a.notified)} notified events needed no human decision`;
  if (!a.trend || a.trend.length === 0) return [head];
  const days = a.trend.map((d) => (d.index === null ? "—" : pct(d.index))).join(" · ");
  return [head, `trend, ${a.trend.length} days, oldest first: ${days}`];
}

function alertLines(c: ReportCore, p?: ReportCore): string[] {
  const a = c.alerts;
  const o = a.byOutcome;
  return [
    "<b>Alerts</b>",
    `received ${int(a.received)}${change(a.received, p?.alerts.received)}: notified ${int(o.notified)}, deduplicated ${int(o.deduplicated)}, inhibited ${int(o.inhibited)}, muted ${int(o.muted)}, recorded ${int(o.recorded)}`,
    ...autonomyLines(c, p),
  ];
}

function triageLine(c: ReportCore, p?: ReportCore): string[] {
  const t = c.triage;
  if (!t) return [];
  const rules = t.alerts - t.byModel;
  return [
    `<b>Triage</b>: ${int(t.alerts)}${change(t.alerts, p?.triage?.alerts)} alerts (${int(t.byModel)} by the model, ${int(rules)} by rules) · ${int(t.modelCalls)} model calls · ${usd(t.costUsd)}`,
  ];
}

function usageLine(key: string, u: UsageStats["total"]): string {
  return `• ${escapeHtml(key)}: ${int(u.requests)} req · ${int(u.prompt_tokens + u.completion_tokens)} tok · ${usd(u.cost_usd)}`;
}

function top(rows: UsageStats["byBackend"], title: string): string[] {
  if (rows.length === 0) return [];
  const sorted = [...rows].sort((a, b) => b.cost_usd - a.cost_usd || b.requests - a.requests);
  const more = sorted.length > TOP ? [`• +${sorted.length - TOP} more`] : [];
  return [title, ...sorted.slice(0, TOP).map((r) => usageLine(r.key, r)), ...more];
}

function proxyLines(c: ReportCore, p?: ReportCore): string[] {
  const t = c.usage.total;
  if (t.requests === 0 && !p?.usage.total.requests) return ["<b>Proxy</b>: no requests"];
  const tokens = t.prompt_tokens + t.completion_tokens;
  const prevTokens = p ? p.usage.total.prompt_tokens + p.usage.total.completion_tokens : undefined;
  return [
    "<b>Proxy</b>",
    `${int(t.requests)} requests${change(t.requests, p?.usage.total.requests)} (${int(t.errors)} errors) · ${int(tokens)} tokens${change(tokens, prevTokens)} · ${usd(t.cost_usd)}${p ? ` (last week ${usd(p.usage.total.cost_usd)})` : ""}`,
    ...top(c.usage.byBackend, "by backend"),
    ...top(c.usage.byAgent, "by agent"),
  ];
}

function cooldownLine(c: ReportCore, p?: ReportCore): string {
  const cd = c.cooldowns;
  if (cd.count === 0) return `<b>Cooldowns</b>: none${change(0, p?.cooldowns.count)}`;
  const per = cd.byBackend.slice(0, TOP).map((b) => `${escapeHtml(b.name)} ×${b.count}`);
  return `<b>Cooldowns</b>: ${cd.count}${change(cd.count, p?.cooldowns.count)} (${per.join(", ")})`;
}

function smokeLines(c: ReportCore): string[] {
  const s = c.smoke;
  if (s.runs === 0) return ["<b>Smoke</b>: no runs"];
  const share = okShare(s.overall);
  const head = `<b>Smoke</b>: ${s.runs === 1 ? "1 run" : `${int(s.runs)} runs`}, ${share ?? 0}% ok · ${s.overall.warning} warning · ${s.overall.critical} critical`;
  const bad = checkOrder(s)
    .map((n) => ({ n, c: s.byCheck[n] }))
    .filter((x) => x.c && (x.c.warning > 0 || x.c.critical > 0))
    .map(
      (x) =>
        `${escapeHtml(CHECK_LABELS[x.n as CheckName] ?? x.n)} ${x.c?.critical}✖ ${x.c?.warning}⚠`,
    );
  return bad.length ? [head, `not ok: ${bad.join(", ")}`] : [head];
}

function healLine(c: ReportCore, p?: ReportCore): string {
  const h = c.healPlans;
  if (!h) return "<b>Heal plans</b>: not configured (no heal store)";
  const q = p?.healPlans;
  return `<b>Heal plans</b>: proposed ${h.proposed}${change(h.proposed, q?.proposed)} · approved ${h.approved} · rejected ${h.rejected} · succeeded ${h.succeeded} · reverted ${h.reverted} · failed ${h.failed} · refused ${h.refused} · expired ${h.expired}`;
}

/**
 * Renders a daily or weekly report as one Telegram HTML message of at most 4096 characters:
 * the model-written summary when there is one, incidents with MTTA/MTTR, alerts by outcome,
 * the autonomy index with its 7-day trend, proxy usage by backend and agent, cooldowns,
 * smoke distribution, heal plans, triage counts and cost, then any extra sections. Weekly
 * reports show the change against the week before; the window's end as a clock time, the
 * zone named once below it. Pure: the same data gives the same text.
 */
export function renderReport(d: ReportData): string {
  const c = d.current;
  const p = d.previous;
  const last = new Date(c.window.to.getTime() - 1);
  const title =
    d.kind === "daily"
      ? `📊 <b>Daily report</b> · ${formatTime(last, d.timeZone).slice(0, 10)}`
      : `📈 <b>Weekly report</b> · ${formatTime(c.window.from, d.timeZone).slice(0, 10)} – ${formatTime(last, d.timeZone).slice(0, 10)}`;
  const span = d.kind === "daily" ? "24 h" : "7 days";
  const blocks = [
    [
      title,
      `${span} to ${clockTime(c.window.to, c.window.to, d.timeZone)}${p ? "; changes against the 7 days before" : ""}`,
      zoneNote(d.timeZone),
      ...(d.summary ? [`🧠 <i>${escapeHtml(d.summary)}</i> (model summary)`] : []),
    ],
    incidentLines(c, p),
    alertLines(c, p),
    proxyLines(c, p),
    [cooldownLine(c, p), ...smokeLines(c), healLine(c, p), ...triageLine(c, p)],
    ...c.sections.map((s) => [`<b>${escapeHtml(s.title)}</b>`, ...s.lines.map(escapeHtml)]),
  ];
  return truncateHtml(
    blocks.map((b) => b.join("\n")).join("\n\n"),
    "cut to fit; see /usage and /incidents",
  );
}

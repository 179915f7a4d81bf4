import type { InlineKeyboard } from "../../../db/schema/index.ts";
import { callbackData } from "../../callback-data.ts";
import { KIND_LABEL } from "../../heal/plan-view.ts";
import { describeTarget } from "../../notifications/views/heal-plan.ts";
import { pct } from "../../reports/report-format.ts";
import { CHECK_LABELS, type CheckName, STATUS_ICON } from "../../smoke/smoke-types.ts";
import type { Attention, StatusSnapshot } from "../../status/status-service.ts";
import { escapeHtml, truncateHtml } from "../../telegram-format.ts";
import { clockTime, formatSpan, formatWhen, relativeTime, zoneNote } from "../../time-format.ts";
import { POOLS } from "../../types.ts";
import { incidentHeadline } from "./incident-list.ts";
import { renderReplicaLines } from "./replica-lines.ts";
import { renderScheduleLines } from "./schedule-lines.ts";

/** The /status message: HTML text and its navigation buttons. */
export interface StatusMessage {
  text: string;
  keyboard: InlineKeyboard;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The "Needs you" lines: each thing waiting for a person, most urgent kinds first. */
function attentionLines(s: StatusSnapshot, timeZone: string): string[] {
  const a: Attention = s.attention;
  const now = s.at;
  const lines: string[] = [];
  for (const { plan, incidentNumber } of a.plans) {
    const inc = incidentNumber !== undefined ? ` · #${incidentNumber}` : "";
    lines.push(
      `⏳ Plan awaits approval: ${KIND_LABEL[plan.kind]} ${describeTarget(plan)} · risk ${plan.risk}${inc} · ${relativeTime(plan.createdAt, now)}`,
    );
  }
  for (const { row, place } of a.incidents) lines.push(incidentHeadline(row, now, place));
  const more = s.incidents.open - a.incidents.length;
  if (more > 0) lines.push(`… and ${plural(more, "more open incident")}`);
  for (const g of a.agents) {
    lines.push(
      g.state === "escalated"
        ? `🚨 Agent <b>${escapeHtml(g.name)}</b> escalated · silent ${formatSpan(g.ageMs)}`
        : `⏸ Agent <b>${escapeHtml(g.name)}</b> paused${g.task ? ` · <i>${escapeHtml(g.task.slice(0, 60))}</i>` : ""}`,
    );
  }
  for (const b of a.backends) {
    lines.push(
      b.state === "cooling" && b.until
        ? `🧊 Backend <b>${escapeHtml(b.name)}</b> (${b.pool}) cooling until ${formatWhen(b.until, now, timeZone)}`
        : `🔴 Backend <b>${escapeHtml(b.name)}</b> (${b.pool}) down`,
    );
  }
  if (s.outbox.dead > 0)
    lines.push(`☠️ ${plural(s.outbox.dead, "dead delivery", "dead deliveries")}`);
  if (a.smoke && a.smoke.overall !== "ok") lines.push(smokeLine(a.smoke, now, timeZone));
  return lines;
}

function smokeLine(smoke: NonNullable<Attention["smoke"]>, now: Date, timeZone: string): string {
  const failing = Object.entries(smoke.checks)
    .filter(([, v]) => v === "warning" || v === "critical")
    .map(([k]) => CHECK_LABELS[k as CheckName] ?? k);
  const what = failing.length > 0 ? `: ${escapeHtml(failing.join(", "))}` : "";
  return `${STATUS_ICON[smoke.overall]} Last smoke run ${smoke.overall}${what} · ${formatWhen(smoke.ranAt, now, timeZone)}`;
}

/**
 * Renders /status as the home screen: first what needs a person (plans awaiting approval,
 * unacknowledged incidents, escalated or paused agents, cooling or down backends, dead
 * deliveries, a smoke run that was not ok), then the overview (counts, backends per pool,
 * schedules, replicas, uptime), the zone named once; buttons open Incidents, Plans, Agents
 * and Backends in the same message, and ↻ Refresh redraws it.
 */
export function renderStatus(s: StatusSnapshot, timeZone: string): StatusMessage {
  const lines = [`🏠 <b>commandpost status</b> · ${clockTime(s.at, s.at, timeZone)}`, ""];
  const needs = attentionLines(s, timeZone);
  if (needs.length === 0) lines.push("✅ Nothing needs you right now.");
  else lines.push(`<b>Needs you</b> (${needs.length})`, ...needs);
  lines.push("", "<b>Overview</b>");
  const inc = s.incidents;
  lines.push(
    inc.open + inc.acknowledged === 0
      ? "🟢 No open incidents"
      : `🔴 Incidents: <b>${inc.open}</b> open, ${inc.acknowledged} acknowledged`,
  );
  const o = s.outbox;
  const oldest = o.pending > 0 ? `, oldest ${formatSpan(o.oldestPendingMs)}` : "";
  lines.push(
    `📬 Deliveries: ${o.pending} queued${oldest}${o.dead > 0 ? `, <b>${o.dead} dead</b>` : ""}`,
  );
  const m = s.mutes;
  if (m.active > 0 || m.mutedEvents24h > 0) {
    lines.push(`🔕 Mutes: ${m.active} active, ${m.mutedEvents24h} events muted in 24 h`);
  }
  const au = s.autonomy;
  if (au) {
    lines.push(
      au.index === null
        ? "🤖 Autonomy (7 d): no notified events"
        : `🤖 Autonomy (7 d): <b>${pct(au.index)}</b>, ${au.notified - au.decided} of ${au.notified} notified events needed no human decision`,
    );
  }
  const smoke = s.attention.smoke;
  if (smoke?.overall === "ok")
    lines.push(`${STATUS_ICON.ok} Last smoke run ok · ${formatWhen(smoke.ranAt, s.at, timeZone)}`);
  lines.push("", "<b>Backends</b>");
  for (const pool of POOLS) {
    const c = s.backends[pool];
    const total = c.healthy + c.degraded + c.down + c.disabled;
    if (total === 0) {
      lines.push(`${escapeHtml(pool)}: none`);
      continue;
    }
    const parts = [`${c.healthy} healthy`];
    if (c.degraded) parts.push(`${c.degraded} degraded`);
    if (c.down) parts.push(`${c.down} down`);
    if (c.disabled) parts.push(`${c.disabled} disabled`);
    lines.push(`${escapeHtml(pool)}: ${parts.join(", ")}`);
  }
  if (s.schedules) lines.push("", ...renderScheduleLines(s.schedules, s.at));
  if (s.replicas) lines.push("", ...renderReplicaLines(s.replicas));
  lines.push("", `⏱ Uptime ${formatSpan(s.uptimeMs)}`, zoneNote(timeZone));
  const count = (n: number) => (n > 0 ? ` (${n})` : "");
  const a = s.attention;
  return {
    text: truncateHtml(lines.join("\n"), "open the views below for the rest"),
    keyboard: [
      [
        {
          text: `🚨 Incidents${count(inc.open + inc.acknowledged)}`,
          callback_data: callbackData.home.incidents,
        },
        { text: `🩺 Plans${count(a.plans.length)}`, callback_data: callbackData.home.plans },
      ],
      [
        { text: `🤖 Agents${count(a.agents.length)}`, callback_data: callbackData.home.agents },
        {
          text: `🔌 Backends${count(a.backends.length)}`,
          callback_data: callbackData.home.backends,
        },
      ],
      [{ text: "↻ Refresh", callback_data: callbackData.home.status }],
    ],
  };
}

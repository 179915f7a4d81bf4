import { pct } from "../reports/report-format.ts";
import { renderScheduleLines } from "../scheduler/schedule-status.ts";
import { escapeHtml, formatDuration } from "../telegram-format.ts";
import { POOLS } from "../types.ts";
import type { StatusSnapshot } from "./status-service.ts";

/** Renders /status as one HTML screen (issue 2). */
export function renderStatus(s: StatusSnapshot): string {
  const lines = ["<b>commandpost status</b>", ""];
  const inc = s.incidents;
  lines.push(
    inc.open + inc.acknowledged === 0
      ? "🟢 No open incidents"
      : `🔴 Incidents: <b>${inc.open}</b> open, ${inc.acknowledged} acknowledged`,
  );
  const o = s.outbox;
  const oldest = o.pending > 0 ? `, oldest ${formatDuration(o.oldestPendingMs)}` : "";
  lines.push(
    `📬 Deliveries: ${o.pending} queued${oldest}${o.dead > 0 ? `, <b>${o.dead} dead</b>` : ""}`,
  );
  const m = s.mutes;
  if (m.active > 0 || m.mutedEvents24h > 0) {
    lines.push(`🔕 Mutes: ${m.active} active, ${m.mutedEvents24h} events muted in 24 h`);
  }
  const a = s.autonomy;
  if (a) {
    lines.push(
      a.index === null
        ? "🤖 Autonomy (7 d): no notified events"
        : `🤖 Autonomy (7 d): <b>${pct(a.index)}</b>, ${a.notified - a.decided} of ${a.notified} notified events needed no human decision`,
    );
  }
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
  if (s.schedules) lines.push("", ...renderScheduleLines(s.schedules));
  lines.push("", `⏱ Uptime ${formatDuration(s.uptimeMs)}`);
  return lines.join("\n");
}

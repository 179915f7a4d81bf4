import { repoName } from "../../aider/aider-alerts.ts";
import type { Capped, SessionView } from "../../aider/aider-queries.ts";
import { clockDuration, compactCount, cost, plural } from "../../aider/session-format.ts";
import { escapeHtml, truncateHtml } from "../../telegram-format.ts";
import { cutText } from "../../text-cut.ts";
import { formatWhen, zoneNote } from "../../time-format.ts";

/** One line of text, cut to `n` characters, then escaped. */
const line = (s: string, n: number) => {
  const one = s.replace(/\s+/g, " ").trim();
  return escapeHtml(cutText(one, n));
};

const more = (c: Capped<unknown>) =>
  c.total > c.items.length ? [`  +${c.total - c.items.length} more`] : [];

function listBlock<T>(title: string, c: Capped<T>, show: (x: T) => string): string[] {
  if (c.total === 0) return [];
  return [`${title} (${c.total})`, ...c.items.map((x) => `• ${show(x)}`), ...more(c)];
}

function summaryLines(v: SessionView, now: Date, timeZone: string): string[] {
  const s = v.session;
  if (!s.endedAt) return ["⏳ running…"];
  const exit = s.exitCode === null ? "killed" : `exit=${s.exitCode}`;
  return [
    `🏁 <b>session ended</b> ${formatWhen(s.endedAt, now, timeZone)}`,
    `⏱️ ${clockDuration(s.durationSec ?? 0)} | 🎯 ${exit}`,
    `📊 ${compactCount(s.tokensSent)}↑ / ${compactCount(s.tokensRecv)}↓ tokens | ${cost(s.costUsd)}`,
    `📝 ${plural(s.filesChanged, "file")} changed | ❌ ${plural(s.errorCount, "error")}`,
  ];
}

/**
 * The one chat message of an aider session (all its events in one message, edited in place):
 * repo (name and path), model, files with +/− lines, commits, errors and silences (warnings
 * are these lines, never alerts of their own), the incidents of its critical errors, and once the
 * session ended its summary (duration, exit code, tokens sent/received, cost, files changed,
 * errors). Lists are capped ({@link SESSION_VIEW_LIMITS}); `raw` output is never shown.
 * Times as `22:05 (6m ago)` as of `now` (the render; the message is edited on each event),
 * the zone named once under the start line. Pure HTML, escaped, within Telegram's limit.
 */
export function renderSessionMessage(v: SessionView, now: Date, timeZone: string): string {
  const s = v.session;
  const head = s.endedAt ? (s.exitCode === 0 ? "🏁" : "⚠️") : "🚀";
  const meta = [
    s.model ? `<code>${line(s.model, 80)}</code>` : "model unknown",
    s.cliVersion ? `aider ${line(s.cliVersion, 20)}` : "",
    s.aiderPid !== null ? `pid ${s.aiderPid}` : "",
    s.host ? line(s.host, 40) : "",
  ].filter(Boolean);
  const lines = [
    `${head} <b>aider</b> · <b>${line(repoName(s.cwd), 60)}</b>`,
    s.cwd ? `📁 <code>${line(s.cwd, 200)}</code>` : "📁 repo unknown (no session_start yet)",
    `🤖 ${meta.join(" · ")}`,
    `🕒 started ${formatWhen(s.startedAt, now, timeZone)} · <code>${line(s.id, 64)}</code>`,
    zoneNote(timeZone),
    ...listBlock("✏️ <b>Files</b>", v.files, (f) => {
      const fresh = f.isNew ? " (new)" : "";
      return `${line(f.path, 80)} (+${f.added} −${f.deleted})${fresh}`;
    }),
    ...listBlock("📌 <b>Commits</b>", v.commits, (c) => {
      return `<code>${escapeHtml(c.sha.slice(0, 7))}</code> ${line(c.message, 80)}`;
    }),
    ...listBlock(
      "❌ <b>Errors</b>",
      v.errors,
      (e) => `${escapeHtml(e.kind)} — ${line(e.message, 120)}`,
    ),
    ...listBlock("⏸️ <b>Silences</b>", v.silences, (x) => {
      return `${clockDuration(x.idleSec)} idle (last: "${line(x.tail, 60)}")`;
    }),
    // Criticals are alerts of their own; the session links to them by incident number.
    ...v.incidents.map(
      (i) => `🚨 Incident #${i.number} (${escapeHtml(i.status)}) · ${escapeHtml(i.kind)}`,
    ),
    "",
    ...summaryLines(v, now, timeZone),
  ];
  return truncateHtml(lines.join("\n"), "cut to fit; see /sessions");
}

import { escapeHtml, truncateHtml } from "../telegram-format.ts";
import { cutText } from "../text-cut.ts";
import { formatWhen, zoneNote } from "../time-format.ts";
import { repoName } from "./aider-alerts.ts";
import type { Capped, SessionView, ViewLimits } from "./aider-queries.ts";

/** Outbox subject of a session's message: every later edit finds it by this. */
export const sessionSubject = (sessionId: string): string => `aider:${sessionId}`;

/** How many items of each list a session message shows; the rest are "+N more". */
export const SESSION_VIEW_LIMITS: ViewLimits = { files: 10, commits: 5, errors: 5, silences: 3 };

/** `950`, `1.4k`, `12k`, `12.4k`, `1.25M`: tokens written the way aider prints them. */
export function compactCount(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${trim(n / 1000, 1)}k`;
  return `${trim(n / 1_000_000, 2)}M`;
}

const trim = (x: number, digits: number) => String(Number(x.toFixed(digits)));

/** `45s`, `5m32s`, `1h05m`, as in the summary line's `⏱️ 5m32s`. */
export function clockDuration(totalSec: number): string {
  const s = Math.max(0, Math.round(totalSec));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** USD like aider prints it: `$0.0031`, `$1.25`. */
export function cost(usd: number): string {
  return `$${usd < 1 ? Number(usd.toFixed(4)).toString() : usd.toFixed(2)}`;
}

/** `1 file`, `2 files`. */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

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

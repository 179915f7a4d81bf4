import { createHash } from "node:crypto";
import type { AgentBeatRow, InlineKeyboard } from "../../../db/schema/index.ts";
import { callbackData, homeButton } from "../../callback-data.ts";
import { type AgentClass, roundsWarnAt } from "../../heartbeats/agent-classes.ts";
import type { AgentViewState } from "../../heartbeats/agent-state.ts";
import type { AgentView } from "../../heartbeats/agent-views.ts";
import { escapeHtml, formatDuration, pagerRow, truncateHtml } from "../../telegram-format.ts";
import { cutText } from "../../text-cut.ts";
import { clockTime, formatSpan, formatWhen, relativeTime, zoneNote } from "../../time-format.ts";

/** Agents per page of /agents. */
export const AGENTS_PAGE_SIZE = 6;

/** Icons of the states /agents shows. */
export const STATE_ICON: Record<AgentViewState, string> = {
  ok: "🟢",
  stalled: "🟠",
  escalated: "🔴",
  paused: "⏸",
  idle: "💤",
  done: "✅",
};

/**
 * What the proxy knows of an agent of the same name: its agent keys (the same agent calls the
 * proxy with them) and its proxy usage since the start of the local day.
 */
export interface AgentProxyFacts {
  /** Prefixes (`cp_ab12`) of its active agent keys. */
  keyPrefixes: string[];
  requests: number;
  /** Prompt plus completion tokens. */
  tokens: number;
}

/** `Proxy: key cp_ab12… · today 12 requests, 3,400 tokens`, or that it has no agent key. */
function proxyLine(p: AgentProxyFacts): string {
  const keys =
    p.keyPrefixes.length === 0
      ? "no agent key"
      : `key${p.keyPrefixes.length === 1 ? "" : "s"} ${p.keyPrefixes.map((k) => `<code>${escapeHtml(k)}…</code>`).join(", ")}`;
  return `Proxy: ${keys} · today ${p.requests} request${p.requests === 1 ? "" : "s"}, ${p.tokens.toLocaleString("en-US")} tokens`;
}

/**
 * A short stable reference to an agent for callback data (names reach 63 characters; a
 * button's data must stay within 64 bytes): the first 10 hex characters of its SHA-256.
 */
export function agentRef(name: string): string {
  return createHash("sha256").update(name).digest("hex").slice(0, 10);
}

/** A rendered message: HTML text and its buttons. */
export interface AgentsMessage {
  text: string;
  keyboard: InlineKeyboard;
}

function roundText(a: AgentView): string | undefined {
  return a.round === null ? undefined : `round ${a.round}/${a.cls.maxRounds}`;
}

function limits(c: AgentClass): string {
  const d = (s: number) => formatDuration(s * 1000);
  return `beat ${d(c.periodS)} · stall ${d(c.stallS)} · escalate ${d(c.escalateS)} · max ${c.maxRounds}`;
}

/**
 * The instant the view was computed: `ageMs` is that instant minus the last beat
 * (agent-views.ts), so times shown as `18:12 (4m ago)` agree with the ages beside them.
 */
function viewNow(a: AgentView): Date {
  return new Date(a.lastBeatAt.getTime() + a.ageMs);
}

function line(a: AgentView): string {
  const blocked = a.status === "blocked" ? " (blocked)" : "";
  const head = [
    `${STATE_ICON[a.state]} <b>${escapeHtml(a.name)}</b> ${a.state}${blocked}`,
    roundText(a),
    relativeTime(a.lastBeatAt, viewNow(a)),
  ]
    .filter(Boolean)
    .join(" · ");
  return a.task ? `${head}\n    <i>${escapeHtml(cutText(a.task, 80))}</i>` : head;
}

/**
 * One page of /agents: a count per state, then the page's agents grouped
 * under their class with its thresholds; each agent shows state, round of max and last beat
 * age, and gets a Details button; ◀ n/m ▶ pages in place. `agents` is the whole list, sorted
 * by class then name (AgentViews.list).
 */
export function renderAgentsPage(agents: readonly AgentView[], requested: number): AgentsMessage {
  if (agents.length === 0)
    return {
      text: "No agent has reported yet. Agents beat with <code>POST /api/heartbeats/&lt;name&gt;</code>.",
      keyboard: [],
    };
  const pages = Math.ceil(agents.length / AGENTS_PAGE_SIZE);
  const page = Math.min(Math.max(0, requested), pages - 1);
  const rows = agents.slice(page * AGENTS_PAGE_SIZE, (page + 1) * AGENTS_PAGE_SIZE);
  const counts = new Map<AgentViewState, number>();
  for (const a of agents) counts.set(a.state, (counts.get(a.state) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${STATE_ICON[s]} ${n} ${s}`).join(" · ");
  const out = [`<b>Agents</b> (${agents.length}; page ${page + 1}/${pages})`, summary];
  const keyboard: InlineKeyboard = [];
  // Escalated and paused agents first, on every page: they wait for a person.
  const waiting = agents
    .filter((a) => a.state === "escalated" || a.state === "paused")
    .sort((a, b) => (a.state === b.state ? b.ageMs - a.ageMs : a.state === "escalated" ? -1 : 1));
  if (waiting.length > 0) {
    out.push("", `<b>Needs you</b> (${waiting.length})`);
    for (const a of waiting.slice(0, 5)) {
      out.push(
        a.state === "escalated"
          ? `${STATE_ICON.escalated} <b>${escapeHtml(a.name)}</b> escalated · silent ${formatSpan(a.ageMs)}${a.task ? ` · <i>${escapeHtml(cutText(a.task, 60))}</i>` : ""}`
          : `${STATE_ICON.paused} <b>${escapeHtml(a.name)}</b> paused at round ${a.round ?? "?"}/${a.cls.maxRounds}: it waits for a new task`,
      );
      keyboard.push([
        {
          text: `🔎 ${a.name} (${a.state})`,
          callback_data: callbackData.agents.details(page, agentRef(a.name)),
        },
      ]);
    }
  }
  let cls = "";
  for (const a of rows) {
    if (a.cls.name !== cls) {
      cls = a.cls.name;
      out.push("", `<b>${escapeHtml(cls)}</b> <i>${limits(a.cls)}</i>`);
    }
    out.push(line(a));
  }
  for (let i = 0; i < rows.length; i += 2) {
    keyboard.push(
      rows.slice(i, i + 2).map((a) => ({
        text: `🔎 ${a.name}`,
        callback_data: callbackData.agents.details(page, agentRef(a.name)),
      })),
    );
  }
  if (pages > 1) keyboard.push(pagerRow(page, pages, callbackData.agents.page));
  keyboard.push([homeButton()]);
  return { text: truncateHtml(out.join("\n"), "use ◀ ▶ for the rest"), keyboard };
}

function beatLine(b: AgentBeatRow, now: Date, timeZone: string): string {
  const parts = [clockTime(b.at, now, timeZone), b.status];
  if (b.task) parts.push(escapeHtml(cutText(b.task, 40)));
  if (b.round !== null) parts.push(`r${b.round}`);
  const note = b.note ? ` — <i>${escapeHtml(cutText(b.note, 160))}</i>` : "";
  return `• ${parts.join(" · ")}${note}`;
}

/**
 * One agent's details (the Details button of /agents): state, class thresholds, task and
 * since when, round of max and where it warns, last beat, last note, and its newest beats
 * with their notes; times as `18:12 (4m ago)`, the zone named once. A Back button returns
 * to list page `page`.
 */
export function renderAgentDetails(
  a: AgentView,
  beats: readonly AgentBeatRow[],
  page: number,
  timeZone: string,
  proxy?: AgentProxyFacts,
): AgentsMessage {
  const now = viewNow(a);
  const when = (d: Date) => formatWhen(d, now, timeZone);
  const out = [
    `${STATE_ICON[a.state]} <b>${escapeHtml(a.name)}</b> · ${a.state} · class ${escapeHtml(a.cls.name)}`,
    `<i>${limits(a.cls)}</i>`,
    `Status: ${a.status}`,
    `Task: ${a.task ? `<code>${escapeHtml(a.task)}</code>` : "none"}${a.taskStartedAt ? ` since ${when(a.taskStartedAt)}` : ""}`,
    `Round: ${a.round ?? "not reported"} of ${a.cls.maxRounds} (warns at ${roundsWarnAt(a.cls)})`,
    `Last beat: ${when(a.lastBeatAt)}`,
    zoneNote(timeZone),
  ];
  if (a.note) out.push(`Note: <i>${escapeHtml(cutText(a.note, 500))}</i>`);
  if (proxy) out.push(proxyLine(proxy));
  out.push("", "<b>Last beats</b>");
  out.push(...(beats.length > 0 ? beats.map((b) => beatLine(b, now, timeZone)) : ["none kept"]));
  return {
    text: truncateHtml(out.join("\n"), "older beats are not shown"),
    keyboard: [[{ text: "« Back", callback_data: callbackData.agents.page(page) }]],
  };
}

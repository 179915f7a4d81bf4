import { basename } from "node:path";
import type { EventInput } from "../events/event.ts";
import { computeFingerprint } from "../events/fingerprint.ts";
import { cutText } from "../text-cut.ts";
import { formatSpan } from "../time-format.ts";
import type { Severity } from "../types.ts";
import type { AiderEvent } from "./aider-event-schema.ts";

/**
 * How aider-watch events enter the EventRouter: a critical `error` becomes an
 * {@link EventInput} ({@link routedInputOf}), so dedup, mutes, incidents and buttons apply
 * to it unchanged; warnings stay lines of the session message ({@link alertInputOf} still
 * describes them, as older versions routed them).
 *
 * - `source` `aider`; `type` (= `alertname` for mutes) `aider_error` or `aider_silence`.
 * - Severity: `api_auth` and `build_fail` critical (an incident), `api_rate_limit`,
 *   `unknown` and silences warning.
 * - Labels `{session_id, repo, kind, instance}`; `instance` is the session id, so a critical
 *   inhibits warnings of its own session only.
 * - Fingerprint per session + kind (not the repo, which may be unknown when an error arrives
 *   before its `session_start`): repeats in a session count on one alert message.
 * - At `session_end` the session's warnings are resolved (alerts an older version raised
 *   for them end with the session; otherwise only recorded). Criticals stay for a person.
 */

export const AIDER_SOURCE = "aider";

/** Event kinds that are warnings and resolve when their session ends. */
const WARNING_KINDS = new Set(["api_rate_limit", "unknown", "silent_timeout"]);

/** Severity of an error kind or of a silence (`silent_timeout`). */
export function aiderSeverity(kind: string): Severity {
  return WARNING_KINDS.has(kind) ? "warning" : "critical";
}

/** Repo name shown for a session: the last part of its `cwd`, or `unknown` before its start. */
export function repoName(cwd: string | null | undefined): string {
  return (cwd && basename(cwd)) || "unknown";
}

const typeOf = (kind: string) => (kind === "silent_timeout" ? "aider_silence" : "aider_error");

const cut = (s: string, n: number) => cutText(s, n);

function base(sessionId: string, kind: string, repo: string, occurredAt: Date) {
  const type = typeOf(kind);
  return {
    source: AIDER_SOURCE,
    type,
    severity: aiderSeverity(kind),
    labels: { session_id: sessionId, repo, kind, instance: sessionId },
    fingerprint: computeFingerprint(AIDER_SOURCE, type, { session_id: sessionId, kind }),
    generatorUrl: null,
    occurredAt,
  };
}

/** The router event of an `error` or `silent_timeout`; undefined for other types. */
export function alertInputOf(e: AiderEvent, repo: string): EventInput | undefined {
  if (e.type === "error") {
    return {
      ...base(e.sessionId, e.payload.kind, repo, e.ts),
      status: "firing",
      title: `aider ${e.payload.kind} · ${repo}`,
      summary: cut(e.payload.message, 1000),
      annotations: { aider_event: e.id, context: cut(e.payload.context_50chars, 200) },
    };
  }
  if (e.type === "silent_timeout") {
    const idle = formatSpan(e.payload.idle_sec * 1000);
    return {
      ...base(e.sessionId, "silent_timeout", repo, e.ts),
      status: "firing",
      title: `aider silent · ${repo}`,
      summary: `No output for ${idle}; last: ${cut(e.payload.last_output_tail.trim(), 200)}`,
      annotations: { aider_event: e.id },
    };
  }
  return undefined;
}

/**
 * The router event of a critical `error` (`api_auth`, `build_fail`); undefined for
 * everything else. Warnings (rate limits, unknown errors, silences) are lines of the
 * session's own message (src/notifications/views/aider-session.ts), edited in place, not alerts.
 */
export function routedInputOf(e: AiderEvent, repo: string): EventInput | undefined {
  if (e.type !== "error" || aiderSeverity(e.payload.kind) !== "critical") return undefined;
  return alertInputOf(e, repo);
}

/**
 * Resolutions sent when session `sessionId` has ended: one per warning kind it has had
 * (`kinds`: error kinds and `silent_timeout`), at the end's time.
 */
export function resolutionsAtEnd(
  sessionId: string,
  kinds: Iterable<string>,
  repo: string,
  endedAt: Date,
): EventInput[] {
  return [...kinds]
    .filter((k) => WARNING_KINDS.has(k))
    .sort()
    .map((kind) => ({
      ...base(sessionId, kind, repo, endedAt),
      status: "resolved",
      title: kind === "silent_timeout" ? `aider silent · ${repo}` : `aider ${kind} · ${repo}`,
      summary: "The aider session has ended.",
      annotations: {},
    }));
}

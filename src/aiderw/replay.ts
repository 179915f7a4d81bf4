import { readJsonl } from "./buffer.ts";
import { type DeliveryResult, deliver, type Target } from "./sender.ts";
import { findSessionLog } from "./session-log.ts";

/** What a replay did; `file` null when the session has no JSONL file. */
export interface ReplayResult {
  file: string | null;
  events: number;
  unreadable: number;
  delivery: DeliveryResult | null;
}

/**
 * `aider-watch replay <session_id>`: re-sends one session
 * from its JSONL file, the source of truth. The server is idempotent by event id, so events
 * it already has are not duplicated; nothing is written to the buffer or removed.
 */
export async function replaySession(
  home: string,
  sessionId: string,
  target: Target,
  timeoutMs = 10_000,
): Promise<ReplayResult> {
  const file = findSessionLog(home, sessionId);
  if (!file) return { file: null, events: 0, unreadable: 0, delivery: null };
  const { events, bad } = readJsonl(file);
  const mine = events.filter((e) => e.session_id === sessionId);
  const delivery = await deliver(target, mine, timeoutMs);
  return { file, events: mine.length, unreadable: bad.length, delivery };
}

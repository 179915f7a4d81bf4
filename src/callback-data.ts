/**
 * Callback data for inline buttons: an action and a short id, ≤ 64 bytes (Telegram's
 * limit, DESIGN.md). The state lives in the database, never in the button.
 */
export const callbackData = {
  /** Acknowledge alert `<alertId>` (a 26-character ULID). */
  ack: (alertId: string) => `ack:${alertId}`,
};

/** A parsed press: action and id, or undefined for data we did not make. */
export function parseCallbackData(data: string): { action: string; id: string } | undefined {
  const m = /^([a-z_]{1,16}):([A-Za-z0-9_-]{1,40})$/.exec(data);
  if (!m) return undefined;
  return { action: m[1] as string, id: m[2] as string };
}

/**
 * Callback data for inline buttons: an action and a short id, ≤ 64 bytes (Telegram's
 * limit, DESIGN.md). The state lives in the database, never in the button.
 */
export const callbackData = {
  /** Acknowledge alert `<alertId>` (a 26-character ULID) and its incident. */
  ack: (alertId: string) => `ack:${alertId}`,
  /** Resolve alert `<alertId>` and its incident by hand. */
  resolve: (alertId: string) => `res:${alertId}`,
  /** Mute alert `<alertId>`'s labels for 1 h or 24 h. */
  mute: (alertId: string, hours: 1 | 24) => `m${hours}h:${alertId}`,
  /** The same four actions on an incident (buttons of the /incidents list). */
  incident: {
    ack: (incidentId: string) => `iack:${incidentId}`,
    resolve: (incidentId: string) => `ires:${incidentId}`,
    mute: (incidentId: string, hours: 1 | 24) => `im${hours}h:${incidentId}`,
  },
  /** Lift mute `<muteId>` (button on an alert message; the alert is redrawn). */
  unmute: (muteId: string) => `unmute:${muteId}`,
  /** Lift mute `<muteId>` from the /mutes list (the list is redrawn in place). */
  liftMute: (muteId: string) => `lift:${muteId}`,
  /** Expire Alertmanager silence `<silenceId>` (a 36-character UUID) listed by /mutes. */
  expireSilence: (silenceId: string) => `silx:${silenceId}`,
  /** Triage alert `<alertId>` now (model through the proxy, or the rules). */
  triage: (alertId: string) => `tri:${alertId}`,
  /** Show page `<n>` (0-based) of the /incidents list. */
  incidentsPage: (page: number) => `incp:${page}`,
  /** Heal plan `<planId>` (a ULID): approve, reject, show details (issue 5). */
  plan: {
    approve: (planId: string) => `pa:${planId}`,
    reject: (planId: string) => `pr:${planId}`,
    details: (planId: string) => `pd:${planId}`,
  },
};

/** A parsed press: action and id, or undefined for data we did not make. */
export function parseCallbackData(data: string): { action: string; id: string } | undefined {
  const m = /^([a-z0-9_]{1,16}):([A-Za-z0-9_-]{1,40})$/.exec(data);
  if (!m) return undefined;
  return { action: m[1] as string, id: m[2] as string };
}

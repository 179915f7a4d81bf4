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
  /** Triage alert `<alertId>` now (model through the proxy, or the rules). */
  triage: (alertId: string) => `tri:${alertId}`,
  /** Show page `<n>` (0-based) of the /incidents list. */
  incidentsPage: (page: number) => `incp:${page}`,
  /** Heal plan `<planId>` (a ULID): approve, reject, show details (issue 5). */
  plan: {
    approve: (planId: string) => `pa:${planId}`,
    reject: (planId: string) => `pr:${planId}`,
    details: (planId: string) => `pd:${planId}`,
    /** Second press that confirms approving a high-risk plan. */
    confirm: (planId: string) => `pc:${planId}`,
    /** Open plan `<planId>` from the /plans list, in the list's message. */
    open: (planId: string) => `po:${planId}`,
    /** Back from a plan's details to the plan message. */
    back: (planId: string) => `pb:${planId}`,
  },
  /**
   * The /status home screen and the views it opens in place (each view's feature answers
   * its own `home:` data by editing the pressed message).
   */
  home: {
    status: "home:status",
    incidents: "home:incidents",
    plans: "home:plans",
    agents: "home:agents",
    backends: "home:backends",
  },
};

/** The button back to the /status home screen, on the views it opens. */
export function homeButton(): { text: string; callback_data: string } {
  return { text: "🏠 Status", callback_data: callbackData.home.status };
}

/** A parsed press: action and id, or undefined for data we did not make. */
export function parseCallbackData(data: string): { action: string; id: string } | undefined {
  const m = /^([a-z0-9_]{1,16}):([A-Za-z0-9_-]{1,40})$/.exec(data);
  if (!m) return undefined;
  return { action: m[1] as string, id: m[2] as string };
}

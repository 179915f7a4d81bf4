/**
 * One callback action, declared once: called as a function it packs the callback data
 * (`<prefix>:<id>`); `pattern` is the RegExp a grammY handler registers with; `parse` reads
 * the id back from a press (undefined for data it did not make), so handlers need no casts.
 */
export type CallbackAction = ((id: string) => string) & {
  readonly prefix: string;
  readonly pattern: RegExp;
  parse(data: string): string | undefined;
};

/** Ids the actions carry: a ULID (26 of Crockford base32), an Alertmanager silence UUID. */
const ID_PATTERNS = { ulid: "[0-9A-Z]{26}", uuid: "[0-9a-f-]{36}" } as const;

/** Declares a {@link CallbackAction} with `prefix` and an id of `kind`. */
function action(prefix: string, kind: keyof typeof ID_PATTERNS): CallbackAction {
  const pattern = new RegExp(`^${prefix}:(${ID_PATTERNS[kind]})$`);
  return Object.assign((id: string) => `${prefix}:${id}`, {
    prefix,
    pattern,
    parse: (data: string) => pattern.exec(data)?.[1],
  });
}

const mute1h = action("m1h", "ulid");
const mute24h = action("m24h", "ulid");

/**
 * Callback data for inline buttons: an action and a short id, ≤ 64 bytes (Telegram's limit,
 * https://core.telegram.org/bots/api#inlinekeyboardbutton). The state lives in the database,
 * never in the button.
 */
export const callbackData = {
  /** Acknowledge alert `<alertId>` (a 26-character ULID) and its incident. */
  ack: action("ack", "ulid"),
  /** Resolve alert `<alertId>` and its incident by hand. */
  resolve: action("res", "ulid"),
  /** Mute alert `<alertId>`'s labels for 1 h or 24 h. */
  mute: (alertId: string, hours: 1 | 24) => (hours === 1 ? mute1h : mute24h)(alertId),
  /** The two Mute buttons of an alert as actions (1 h, 24 h). */
  mute1h,
  mute24h,
  /** The same four actions on an incident (buttons of the /incidents list). */
  incident: {
    ack: (incidentId: string) => `iack:${incidentId}`,
    resolve: (incidentId: string) => `ires:${incidentId}`,
    mute: (incidentId: string, hours: 1 | 24) => `im${hours}h:${incidentId}`,
  },
  /** Lift mute `<muteId>` (button on an alert message; the alert is redrawn). */
  unmute: action("unmute", "ulid"),
  /** Lift mute `<muteId>` from the /mutes list (the list is redrawn in place). */
  liftMute: action("lift", "ulid"),
  /** Expire Alertmanager silence `<silenceId>` (a 36-character UUID) listed by /mutes. */
  expireSilence: action("silx", "uuid"),
  /** Triage alert `<alertId>` now (model through the proxy, or the rules). */
  triage: action("tri", "ulid"),
  /** Propose the fix a plan template describes for alert `<alertId>`. */
  proposeFix: action("pf", "ulid"),
  /** The buttons of a group message (src/events/group-message.ts). */
  group: {
    /** Acknowledge every firing member of group `<groupId>`. */
    ackAll: action("gack", "ulid"),
    /** Mute group `<groupId>`'s label values for 1 h. */
    mute1h: action("gm1h", "ulid"),
    /** Show member alert `<alertId>`'s own message, with its buttons, in the pressed chat. */
    show: action("gshow", "ulid"),
  },
  /** Show page `<n>` (0-based) of the /incidents list. */
  incidentsPage: (page: number) => `incp:${page}`,
  /** Heal plan `<planId>` (a ULID): approve, reject, show details. */
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

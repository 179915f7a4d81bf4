/**
 * Callback data of every inline button, declared once per action (prefix, fields, packing and
 * parsing, typed). Data is `<prefix>:<field>[:<field>…]`, ≤ 64 bytes (Telegram's limit,
 * https://core.telegram.org/bots/api#inlinekeyboardbutton). The state lives in the database,
 * never in the button: a field is an id, a page number or a short hash.
 */

/** One field of callback data: the RegExp source it matches, how it is written and read back. */
export interface CallbackField<T> {
  /** RegExp source (no groups) of the field's text. */
  readonly source: string;
  write(value: T): string;
  read(text: string): T;
}

/** The values a list of fields carries, as a tuple. */
export type FieldValues<F extends readonly CallbackField<unknown>[]> = {
  -readonly [K in keyof F]: F[K] extends CallbackField<infer T> ? T : never;
};

/**
 * One callback action: called as a function it packs the values into callback data;
 * `pattern` is the RegExp a grammY handler registers with; `parse` reads the values back from
 * a press (undefined for data it did not make). Register handlers with `onAction`
 * (src/bot/on-action.ts) so they get the typed values, never `ctx.match`.
 */
export interface CallbackAction<A extends unknown[]> {
  (...values: A): string;
  readonly prefix: string;
  readonly pattern: RegExp;
  parse(data: string): A | undefined;
}

const text = (source: string): CallbackField<string> => ({
  source,
  write: (v) => v,
  read: (t) => t,
});
const int = (digits: number): CallbackField<number> => ({
  source: `\\d{1,${digits}}`,
  write: (v) => String(Math.trunc(v)),
  read: (t) => Number(t),
});

/** The fields actions carry. */
export const fields = {
  /** A ULID (26 of Crockford base32): alerts, incidents, mutes, heal plans. */
  ulid: text("[0-9A-Z]{26}"),
  /** An Alertmanager silence id (a 36-character UUID). */
  uuid: text("[0-9a-f-]{36}"),
  /** A 0-based page number of a list (≤ 4 digits). */
  page: int(4),
  /** A 0-based index of a choice (≤ 2 digits). */
  index: int(2),
  /** A lowercase hex hash of `length` characters (agent and session references). */
  hex: (length: number) => text(`[0-9a-f]{${length}}`),
} as const;

/** Declares a {@link CallbackAction} with `prefix` and `fieldList`, in that order. */
export function action<const F extends readonly CallbackField<unknown>[]>(
  prefix: string,
  ...fieldList: F
): CallbackAction<FieldValues<F>> {
  const pattern = new RegExp(`^${prefix}${fieldList.map((f) => `:(${f.source})`).join("")}$`);
  const pack = (...values: unknown[]) =>
    [prefix, ...fieldList.map((f, i) => f.write(values[i]))].join(":");
  const parse = (data: string) => {
    const m = pattern.exec(data);
    // The one place values leave their fields untyped: each was read by its own field above.
    return m ? (fieldList.map((f, i) => f.read(m[i + 1] as string)) as FieldValues<F>) : undefined;
  };
  return Object.assign(pack, { prefix, pattern, parse });
}

const mute1h = action("m1h", fields.ulid);
const mute24h = action("m24h", fields.ulid);
const incidentMute1h = action("im1h", fields.ulid);
const incidentMute24h = action("im24h", fields.ulid);

/** Callback data for inline buttons: every action the bot offers, by feature. */
export const callbackData = {
  /** Acknowledge alert `<alertId>` and its incident. */
  ack: action("ack", fields.ulid),
  /** Resolve alert `<alertId>` and its incident by hand. */
  resolve: action("res", fields.ulid),
  /** Mute alert `<alertId>`'s labels for 1 h or 24 h. */
  mute: (alertId: string, hours: 1 | 24) => (hours === 1 ? mute1h : mute24h)(alertId),
  /** The two Mute buttons of an alert as actions (1 h, 24 h). */
  mute1h,
  mute24h,
  /** The same four actions on incident `<incidentId>` (buttons of the /incidents list). */
  incident: {
    ack: action("iack", fields.ulid),
    resolve: action("ires", fields.ulid),
    mute: (incidentId: string, hours: 1 | 24) =>
      (hours === 1 ? incidentMute1h : incidentMute24h)(incidentId),
    mute1h: incidentMute1h,
    mute24h: incidentMute24h,
  },
  /** Lift mute `<muteId>` (button on an alert message; the alert is redrawn). */
  unmute: action("unmute", fields.ulid),
  /** Lift mute `<muteId>` from the reply to /mute (that reply is edited in place). */
  unmuteReply: action("umr", fields.ulid),
  /** Lift mute `<muteId>` from the /mutes list (the list is redrawn in place). */
  liftMute: action("lift", fields.ulid),
  /** Expire Alertmanager silence `<silenceId>` listed by /mutes. */
  expireSilence: action("silx", fields.uuid),
  /** Triage alert `<alertId>` now (model through the proxy, or the rules). */
  triage: action("tri", fields.ulid),
  /** Propose the fix a plan template describes for alert `<alertId>`. */
  proposeFix: action("pf", fields.ulid),
  /** The buttons of a group message (src/notifications/views/alert-group.ts). */
  group: {
    /** Acknowledge every firing member of group `<groupId>`. */
    ackAll: action("gack", fields.ulid),
    /** Mute group `<groupId>`'s label values for 1 h. */
    mute1h: action("gm1h", fields.ulid),
    /** Show member alert `<alertId>`'s own message, with its buttons, in the pressed chat. */
    show: action("gshow", fields.ulid),
  },
  /** Show page `<n>` of the /incidents list. */
  incidentsPage: action("incp", fields.page),
  /** Heal plan `<planId>`: approve, reject, show details. */
  plan: {
    approve: action("pa", fields.ulid),
    reject: action("pr", fields.ulid),
    details: action("pd", fields.ulid),
    /** Second press that confirms approving a high-risk plan. */
    confirm: action("pc", fields.ulid),
    /** Open plan `<planId>` from the /plans list, in the list's message. */
    open: action("po", fields.ulid),
    /** Back from a plan's details to the plan message. */
    back: action("pb", fields.ulid),
  },
  /** The /agents list: page `<n>`; one agent's details (`<page>`, agent reference `agentRef`). */
  agents: {
    page: action("agp", fields.page),
    details: action("agd", fields.page, fields.hex(10)),
  },
  /** The /sessions list: page `<n>`; one session's details (`<page>`, key `sessionKey`). */
  sessions: {
    page: action("sesp", fields.page),
    details: action("sesd", fields.page, fields.hex(16)),
  },
  /** Choice `<index>` of a question a conversation asks (src/bot/ask.ts). */
  ask: action("ask", fields.index),
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
} as const;

/** The button back to the /status home screen, on the views it opens. */
export function homeButton(): { text: string; callback_data: string } {
  return { text: "🏠 Status", callback_data: callbackData.home.status };
}

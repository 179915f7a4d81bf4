/**
 * How a person is named in chat messages: the display name only. Audit fields keep the full
 * actor string the bot records (`Ada Lovelace (@ada_ops, 424242)`, src/bot/context.ts
 * `actorName`); messages strip the handle and id from it. Strings of another shape (an agent
 * name, `auto (all alerts resolved)`) come back unchanged.
 * @example personName("Ada (@ada_ops, 424242)") // "Ada"
 */
export function personName(actor: string): string {
  const m = /^(.+?) \((?:@[A-Za-z0-9_]{1,64}, )?-?\d{1,20}\)$/.exec(actor);
  return m ? (m[1] as string) : actor;
}

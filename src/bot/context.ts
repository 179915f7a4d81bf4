import type { ConversationFlavor } from "@grammyjs/conversations";
import type { Context } from "grammy";
import type { Logger } from "../logger.ts";

/**
 * grammY context with a child logger per update (CONVENTIONS habit 8) and the
 * conversations plugin's controls (`ctx.conversation.enter(…)`, flows/).
 */
export interface BotContext extends ConversationFlavor<Context> {
  log: Logger;
}

/** How a person is named in audit fields: `Alice (@alice, 123)`. */
export function actorName(ctx: Context): string {
  const u = ctx.from;
  if (!u) return "unknown";
  const handle = u.username ? `@${u.username}, ` : "";
  return `${u.first_name}${u.last_name ? ` ${u.last_name}` : ""} (${handle}${u.id})`;
}

/** One entry of /help and of setMyCommands. */
export interface CommandInfo {
  command: string;
  description: string;
}

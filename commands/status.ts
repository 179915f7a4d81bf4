import { Composer } from "grammy";
import type { BotContext, CommandInfo } from "../src/bot/context.ts";
import { renderStatus } from "../src/status/status-message.ts";
import type { StatusService } from "../src/status/status-service.ts";

/** `/status`: one screen of incidents, deliveries, backends and uptime. */
export const statusCommand: CommandInfo = {
  command: "status",
  description: "Open incidents, queued deliveries, backends, uptime",
};

/** Composer for /status. */
export function createStatusFeature(deps: { status: StatusService }): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("status", async (ctx) => {
    const snapshot = await deps.status.snapshot();
    await ctx.reply(renderStatus(snapshot), { parse_mode: "HTML" });
  });
  return composer;
}

import { Composer } from "grammy";
import type { BotContext, CommandInfo } from "../src/bot/context.ts";
import { coerceError } from "../src/errors.ts";
import { renderSmokeRun } from "../src/notifications/views/smoke-summary.ts";
import type { SmokeService } from "../src/smoke/smoke-service.ts";
import type { Clock } from "../src/types.ts";

/** `/smoke`: run the smoke checks now. */
export const smokeCommand: CommandInfo = {
  command: "smoke",
  description: "Run the smoke checks now, with the last 24 h",
};

const DAY_MS = 86_400_000;

/**
 * Composer for /smoke: runs every check now (stored like a scheduled run,
 * critical results raise alerts) and answers with the results and the last 24 h distribution.
 * It answers even while the database is down: that check is then critical and the history
 * line says it is unavailable.
 */
export function createSmokeFeature(deps: {
  smoke: Pick<SmokeService, "run" | "store">;
  clock: Clock;
  timeZone: string;
}): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("smoke", async (ctx) => {
    const run = await deps.smoke.run("command");
    const to = new Date(deps.clock.now().getTime() + 1);
    const last24h = await deps.smoke.store
      .distribution(new Date(to.getTime() - DAY_MS), to)
      .catch((err: unknown) => {
        ctx.log.error({ err: coerceError(err).message }, "reading the smoke history failed");
        return undefined;
      });
    await ctx.reply(renderSmokeRun(run, last24h, deps.timeZone), { parse_mode: "HTML" });
  });
  return composer;
}

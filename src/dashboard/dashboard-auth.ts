import type { FastifyReply, FastifyRequest } from "fastify";
import { InputError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "../types.ts";
import { InitDataError, validateInitData } from "./init-data.ts";
import type { LoginStore } from "./login-store.ts";

/** Name of the browser session cookie set by a login link. */
export const SESSION_COOKIE = "cp_dashboard";

/** Who is looking at the dashboard, and how they proved it. */
export interface DashboardViewer {
  userId: number;
  /** First name and @username from initData; the id alone for a browser session. */
  name: string;
  via: "telegram" | "session";
}

/** Dependencies of {@link createDashboardAuth}. */
export interface DashboardAuthDeps {
  /** The bot token initData is signed with; unset → initData is refused (401). */
  botToken: string | undefined;
  adminIds: readonly number[];
  store: Pick<LoginStore, "sessionUser">;
  clock: Clock;
  logger: Logger;
}

/** Reads one cookie from a `Cookie` header (RFC 6265 `name=value; …`). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

const unauthorized = (message: string) =>
  new InputError(message, { statusCode: 401, field: "authorization" });

/** Mini App and browser-session authentication for `/api/app/*`. */
export type DashboardAuth = ReturnType<typeof createDashboardAuth>;

/**
 * Builds the authentication of the data API. A request proves who it is with Telegram's
 * signed launch data (`Authorization: tma <initData>`, validated by init-data.ts, at most
 * 1 hour old) or with the session cookie a login link set. Missing, forged or stale proof is
 * a 401; a genuine user who is not in `TELEGRAM_ADMIN_IDS` gets a 403. No data either way.
 */
export function createDashboardAuth(deps: DashboardAuthDeps) {
  const admins = new Set(deps.adminIds);
  const viewers = new WeakMap<FastifyRequest, DashboardViewer>();

  async function identify(req: FastifyRequest): Promise<DashboardViewer> {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const m = /^tma\s+(\S+)$/i.exec(header.trim());
      if (!m?.[1]) throw unauthorized("expected Authorization: tma <initData>");
      if (!deps.botToken) throw unauthorized("TELEGRAM_BOT_TOKEN is not configured on the server");
      try {
        const { user } = validateInitData(m[1], deps.botToken, deps.clock.now().getTime());
        const handle = user.username ? ` (@${user.username})` : "";
        return { userId: user.id, name: `${user.first_name ?? user.id}${handle}`, via: "telegram" };
      } catch (err: unknown) {
        if (err instanceof InitDataError) throw unauthorized(err.message);
        throw err;
      }
    }
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    const userId = cookie ? await deps.store.sessionUser(cookie) : undefined;
    if (userId === undefined)
      throw unauthorized("sign in: open the dashboard from /dashboard in Telegram");
    return { userId, name: String(userId), via: "session" };
  }

  return {
    /** The viewer a request was admitted as (set by {@link preHandler}). */
    viewerOf(req: FastifyRequest): DashboardViewer | undefined {
      return viewers.get(req);
    },

    /**
     * Fastify preHandler: admits admins, throws 401/403 (InputError, field `authorization`)
     * otherwise. Every refusal is logged with the user id when one is known.
     */
    async preHandler(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
      let viewer: DashboardViewer;
      try {
        viewer = await identify(req);
      } catch (err: unknown) {
        deps.logger.warn({ url: req.url, reason: (err as Error).message }, "dashboard: refused");
        throw err;
      }
      if (!admins.has(viewer.userId)) {
        deps.logger.warn({ user: viewer.userId, via: viewer.via }, "dashboard: not an admin");
        throw new InputError("only the commanders of this bot may see the dashboard", {
          statusCode: 403,
          field: "authorization",
        });
      }
      viewers.set(req, viewer);
    },
  };
}

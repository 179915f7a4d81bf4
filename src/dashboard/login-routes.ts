import type { FastifyInstance, FastifyReply } from "fastify";
import { InputError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { readCookie, SESSION_COOKIE } from "./dashboard-auth.ts";
import { loginForm, loginRefused } from "./login-page.ts";
import type { LoginStore } from "./login-store.ts";
import { pageHeaders } from "./page-headers.ts";

/** Dependencies of {@link registerLoginRoutes}. */
export interface LoginRouteDeps {
  store: Pick<LoginStore, "redeemLink" | "openSession" | "closeSession">;
  adminIds: readonly number[];
  /** Session lifetime, ms (`DASHBOARD_SESSION_TTL_S`). */
  sessionTtlMs: number;
  /** Mark the session cookie `Secure` (the public address is https). */
  secureCookie: boolean;
  logger: Logger;
}

/** The session cookie: HttpOnly, SameSite=Strict, for the whole site, `Secure` behind https. */
function sessionCookie(value: string, maxAgeS: number, secure: boolean): string {
  const attrs = [`${SESSION_COOKIE}=${value}`, "Path=/", `Max-Age=${maxAgeS}`, "HttpOnly"];
  attrs.push("SameSite=Strict");
  if (secure) attrs.push("Secure");
  return attrs.join("; ");
}

/** A login link token as issued (base64url of 32 bytes; some slack for the future). */
function tokenOf(v: unknown): string {
  if (typeof v !== "string" || !/^[A-Za-z0-9_-]{20,100}$/.test(v))
    throw new InputError("token: expected the token of a login link", { field: "token" });
  return v;
}

const html = (reply: FastifyReply) =>
  pageHeaders(reply).header("cache-control", "no-store").type("text/html; charset=utf-8");

/** POST /app/login: redeems the token once, opens a session, sends the browser to /app/. */
function redeem(deps: LoginRouteDeps) {
  return async (req: { body?: { token?: string } }, reply: FastifyReply) => {
    const userId = await deps.store.redeemLink(tokenOf(req.body?.token));
    html(reply);
    if (userId === undefined) {
      deps.logger.warn("dashboard: a used, expired or unknown login link was tried");
      const hint =
        "This login link was already used or is older than 10 minutes. Send /dashboard to the bot for a new one.";
      return reply.code(401).send(loginRefused("Link expired", hint));
    }
    if (!deps.adminIds.includes(userId)) {
      deps.logger.warn(
        { user: userId },
        "dashboard: login link of a user who is no longer an admin",
      );
      const hint = "Only the commanders of this bot may see the dashboard.";
      return reply.code(403).send(loginRefused("Not allowed", hint));
    }
    const session = await deps.store.openSession(userId);
    deps.logger.info({ user: userId }, "dashboard: browser session opened");
    const cookie = sessionCookie(
      session.token,
      Math.round(deps.sessionTtlMs / 1000),
      deps.secureCookie,
    );
    return reply.header("set-cookie", cookie).redirect("/app/", 303);
  };
}

/**
 * The browser login: `GET /app/login?token=` shows a form (a GET never uses the token, so a
 * link preview cannot), `POST /app/login` redeems it, `POST /app/logout` ends the session.
 */
export function registerLoginRoutes(http: FastifyInstance, deps: LoginRouteDeps): void {
  http.get<{ Querystring: { token?: string } }>("/app/login", async (req, reply) =>
    html(reply).send(loginForm(tokenOf(req.query.token))),
  );
  http.post<{ Body: { token?: string } | undefined }>("/app/login", redeem(deps));
  http.post("/app/logout", async (req, reply) => {
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (cookie) await deps.store.closeSession(cookie);
    return reply
      .header("set-cookie", sessionCookie("", 0, deps.secureCookie))
      .redirect("/app/", 303);
  });
}

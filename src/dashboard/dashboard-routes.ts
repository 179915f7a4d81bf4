import type { FastifyInstance, FastifyReply } from "fastify";
import { coerceError, InputError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { type MeResponse, PROXY_RANGES, type ProxyRange } from "./api-types.ts";
import type { AppAssets } from "./assets.ts";
import { type DashboardAuth, readCookie, SESSION_COOKIE } from "./dashboard-auth.ts";
import type { DashboardData } from "./dashboard-data.ts";
import { loginForm, loginRefused } from "./login-page.ts";
import type { LoginStore } from "./login-store.ts";

/** Dependencies of {@link registerDashboardRoutes}. */
export interface DashboardRouteDeps {
  assets: () => Promise<AppAssets>;
  auth: DashboardAuth;
  data: DashboardData;
  store: Pick<LoginStore, "redeemLink" | "openSession" | "closeSession">;
  adminIds: readonly number[];
  timeZone: string;
  /** Session lifetime, ms (`DASHBOARD_SESSION_TTL_S`). */
  sessionTtlMs: number;
  /** Mark the session cookie `Secure` (the public address is https). */
  secureCookie: boolean;
  logger: Logger;
}

/**
 * Content Security Policy of the Mini App: its own script, styles and API only; framed only
 * by Telegram Web (web.telegram.org hosts Mini Apps in an iframe) or itself.
 */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self' https://web.telegram.org";

function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header("content-security-policy", CSP)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer");
}

function sessionCookie(value: string, maxAgeS: number, secure: boolean): string {
  const attrs = [`${SESSION_COOKIE}=${value}`, "Path=/", `Max-Age=${maxAgeS}`, "HttpOnly"];
  attrs.push("SameSite=Strict");
  if (secure) attrs.push("Secure");
  return attrs.join("; ");
}

/** `/app/` (the Mini App and the browser login) and `/api/app/*` (its data, authenticated). */
export function registerDashboardRoutes(http: FastifyInstance, deps: DashboardRouteDeps): void {
  void http.register(async (scope) => {
    // The login form posts application/x-www-form-urlencoded; only this scope parses it.
    scope.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string", bodyLimit: 4096 },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    registerPages(scope, deps);
    registerLogin(scope, deps);
    registerApi(scope, deps);
  });
}

function registerPages(http: FastifyInstance, deps: DashboardRouteDeps): void {
  http.get("/app", (_req, reply) => reply.redirect("/app/", 308));
  const serve =
    (name: keyof AppAssets) =>
    async (req: { headers: { "if-none-match"?: string } }, reply: FastifyReply) => {
      let a: AppAssets;
      try {
        a = await deps.assets();
      } catch (err: unknown) {
        deps.logger.error({ err: coerceError(err).message }, "dashboard: building the app failed");
        return reply
          .code(503)
          .send({ error: { message: "the dashboard app could not be built; see the server log" } });
      }
      const f = a[name];
      pageHeaders(reply).header("cache-control", "no-cache").header("etag", f.etag);
      if (req.headers["if-none-match"] === f.etag) return reply.code(304).send();
      return reply.type(f.contentType).send(f.body);
    };
  http.get("/app/", serve("index.html"));
  http.get("/app/app.js", serve("app.js"));
  http.get("/app/app.css", serve("app.css"));
}

function registerLogin(http: FastifyInstance, deps: DashboardRouteDeps): void {
  const tokenOf = (v: unknown): string => {
    if (typeof v !== "string" || !/^[A-Za-z0-9_-]{20,100}$/.test(v))
      throw new InputError("token: expected the token of a login link", { field: "token" });
    return v;
  };
  http.get<{ Querystring: { token?: string } }>("/app/login", async (req, reply) => {
    const token = tokenOf(req.query.token);
    return pageHeaders(reply)
      .header("cache-control", "no-store")
      .type("text/html; charset=utf-8")
      .send(loginForm(token));
  });
  http.post<{ Body: { token?: string } | undefined }>("/app/login", async (req, reply) => {
    const token = tokenOf(req.body?.token);
    const userId = await deps.store.redeemLink(token);
    pageHeaders(reply).header("cache-control", "no-store").type("text/html; charset=utf-8");
    if (userId === undefined) {
      deps.logger.warn("dashboard: a used, expired or unknown login link was tried");
      return reply
        .code(401)
        .send(
          loginRefused(
            "Link expired",
            "This login link was already used or is older than 10 minutes. Send /dashboard to the bot for a new one.",
          ),
        );
    }
    if (!deps.adminIds.includes(userId)) {
      deps.logger.warn(
        { user: userId },
        "dashboard: login link of a user who is no longer an admin",
      );
      return reply
        .code(403)
        .send(
          loginRefused("Not allowed", "Only the commanders of this bot may see the dashboard."),
        );
    }
    const session = await deps.store.openSession(userId);
    const maxAgeS = Math.round(deps.sessionTtlMs / 1000);
    deps.logger.info({ user: userId }, "dashboard: browser session opened");
    return reply
      .header("set-cookie", sessionCookie(session.token, maxAgeS, deps.secureCookie))
      .redirect("/app/", 303);
  });
  http.post("/app/logout", async (req, reply) => {
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (cookie) await deps.store.closeSession(cookie);
    return reply
      .header("set-cookie", sessionCookie("", 0, deps.secureCookie))
      .redirect("/app/", 303);
  });
}

function registerApi(http: FastifyInstance, deps: DashboardRouteDeps): void {
  const opts = {
    preHandler: deps.auth.preHandler,
    onSend: async (_req: unknown, reply: FastifyReply, payload: unknown) => {
      reply.header("cache-control", "no-store");
      return payload;
    },
  };
  http.get("/api/app/me", opts, async (req): Promise<MeResponse> => {
    const v = deps.auth.viewerOf(req);
    if (!v) throw new InputError("not signed in", { statusCode: 401, field: "authorization" });
    return { user_id: v.userId, name: v.name, via: v.via, time_zone: deps.timeZone };
  });
  http.get("/api/app/overview", opts, () => deps.data.overview());
  http.get<{ Querystring: { range?: string } }>("/api/app/proxy", opts, (req) => {
    const range = req.query.range ?? "72h";
    if (!(PROXY_RANGES as readonly string[]).includes(range))
      throw new InputError(`range: expected one of ${PROXY_RANGES.join(", ")}`, { field: "range" });
    return deps.data.proxy(range as ProxyRange);
  });
  http.get("/api/app/incidents", opts, () => deps.data.incidents());
  http.get("/api/app/agents", opts, () => deps.data.agents());
}

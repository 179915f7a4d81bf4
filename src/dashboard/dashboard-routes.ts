import type { FastifyInstance, FastifyReply } from "fastify";
import { coerceError, InputError } from "../errors.ts";
import { type MeResponse, PROXY_RANGES, type ProxyRange } from "./api-types.ts";
import type { AppAssets } from "./assets.ts";
import type { DashboardAuth } from "./dashboard-auth.ts";
import type { DashboardData } from "./dashboard-data.ts";
import { type LoginRouteDeps, registerLoginRoutes } from "./login-routes.ts";
import { pageHeaders } from "./page-headers.ts";

/** Dependencies of {@link registerDashboardRoutes} (the login's and the pages'). */
export interface DashboardRouteDeps extends LoginRouteDeps {
  assets: () => Promise<AppAssets>;
  auth: DashboardAuth;
  data: DashboardData;
  /** Zone of times shown in the app (`REPORT_TIMEZONE`). */
  timeZone: string;
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
    registerLoginRoutes(scope, deps);
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

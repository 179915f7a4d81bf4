import type { FastifyReply, FastifyRequest } from "fastify";
import { safeEqual } from "../proxy/key-crypto.ts";
import type { AuthFailureLimiter } from "./auth-limiter.ts";

/** Reads the token of an `Authorization: Bearer <token>` header. */
export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

/** Why a request was not admitted. */
export type AuthRefusal = "unconfigured" | "missing" | "wrong";

/** One authenticated surface (admin, ingest, proxy, Telegram webhook). */
export interface AuthScheme {
  /** Name in logs: `admin`, `ingest`, `proxy`, `telegram_webhook`. */
  scope: string;
  /**
   * Checks the request's credentials (headers only: the body is not read yet). May attach
   * what it learnt to `req` (the proxy's agent).
   */
  verify(req: FastifyRequest): true | AuthRefusal;
  /** The JSON body of a refusal (401 or 429), in the surface's error shape. */
  body(status: 401 | 429, refusal: AuthRefusal | "held", message: string): unknown;
}

const MESSAGES: Record<AuthRefusal, string> = {
  unconfigured: "authentication is not configured on the server",
  missing: "missing credentials",
  wrong: "wrong credentials",
};

/**
 * An `onRequest` hook (it runs before Fastify reads the body, so an unauthenticated client
 * cannot make the server buffer a large body) that admits requests `scheme` verifies.
 * Failures are logged with the client address, route and reason, never the credential, and
 * counted by `limiter`: a client over its limit gets 429 with `Retry-After` before its
 * credentials are looked at. A refused request that announced a body gets
 * `Connection: close`, so its body is never read.
 */
export function authenticate(scheme: AuthScheme, limiter: AuthFailureLimiter) {
  // Callback style: an admitted request (the hot path) costs no promise.
  return function checkAuth(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
    const gate = limiter.check(req.ip);
    const verdict = gate.allowed ? scheme.verify(req) : undefined;
    if (verdict === true) {
      done();
      return;
    }
    // A refusal sends its answer, which ends the request: `done` is not called.
    refuse(req, reply, gate, verdict).catch((err: unknown) =>
      req.log.error({ err }, "answering a refused request failed"),
    );
  };

  async function refuse(
    req: FastifyRequest,
    reply: FastifyReply,
    gate: ReturnType<AuthFailureLimiter["check"]>,
    verdict: AuthRefusal | undefined,
  ): Promise<void> {
    if (!gate.allowed || verdict === undefined) {
      const retryAfterS = gate.allowed ? 1 : gate.retryAfterS;
      closeIfBody(req, reply);
      const message = `too many failed authentications; retry in ${retryAfterS} s`;
      await reply
        .code(429)
        .header("retry-after", String(retryAfterS))
        .send(scheme.body(429, "held", message));
      return;
    }
    const log = { scope: scheme.scope, ip: req.ip, method: req.method, route: pathOf(req) };
    if (verdict !== "unconfigured") {
      const held = limiter.fail(req.ip);
      req.log.warn({ ...log, reason: verdict }, "authentication failed");
      if (held) req.log.warn(log, "authentication failures from this client: held");
    }
    closeIfBody(req, reply);
    await reply
      .code(401)
      .header("www-authenticate", "Bearer")
      .send(scheme.body(401, verdict, MESSAGES[verdict]));
  }
}

/**
 * The scheme of a fixed bearer token (`ADMIN_TOKEN`, `INGEST_TOKEN`). When `token` is unset
 * every call is refused, naming `variable`.
 */
export function bearerScheme(scope: string, token: string | undefined, variable: string) {
  return {
    scope,
    verify(req: FastifyRequest): true | AuthRefusal {
      if (token === undefined) return "unconfigured";
      const given = bearerToken(req);
      if (given === undefined) return "missing";
      return safeEqual(given, token) ? true : "wrong";
    },
    body(_status: number, refusal: AuthRefusal | "held", message: string) {
      if (refusal === "unconfigured")
        return { error: { message: `${variable} is not configured on the server` } };
      if (refusal === "held") return { error: { message } };
      return { error: { message: "missing or wrong bearer token" } };
    },
  } satisfies AuthScheme;
}

function pathOf(req: FastifyRequest): string {
  return req.url.split("?")[0] ?? req.url;
}

function closeIfBody(req: FastifyRequest, reply: FastifyReply): void {
  const h = req.headers;
  const announced =
    (h["content-length"] !== undefined && h["content-length"] !== "0") ||
    h["transfer-encoding"] !== undefined;
  if (announced) reply.header("connection", "close");
}

import type { IncomingHttpHeaders } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "../logger.ts";
import { safeEqual } from "../proxy/key-crypto.ts";
import type { AuthFailureLimiter } from "./auth-limiter.ts";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Reads the token of an `Authorization: Bearer <token>` header. */
export function bearerToken(req: { headers: IncomingHttpHeaders }): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  return BEARER.exec(h)?.[1];
}

/** Why a request was not admitted. */
export type AuthRefusal = "unconfigured" | "missing" | "wrong";

/** What an authentication check sees of a request (Fastify's or a raw node:http one). */
export interface AuthRequest {
  /** The client's address (the limiter's key). */
  ip: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The request's logger (with its `request_id`), made only when a failure is logged. */
  log(): Logger;
}

/**
 * One authenticated surface (admin, ingest, proxy, Telegram webhook). `W` is what an
 * admitted request is known as: `true`, or the proxy's agent.
 */
export interface AuthScheme<W extends object | true = true> {
  /** Name in logs: `admin`, `ingest`, `proxy`, `telegram_webhook`. */
  scope: string;
  /** Checks the request's credentials (headers only: the body is not read yet). */
  verify(req: { headers: IncomingHttpHeaders }): W | AuthRefusal;
  /** The JSON body of a refusal (401 or 429), in the surface's error shape. */
  body(status: 401 | 429, refusal: AuthRefusal | "held", message: string): unknown;
}

/** The answer to a request that was not admitted: status, headers and JSON body. */
export class Refusal {
  constructor(
    readonly status: 401 | 429,
    readonly headers: Record<string, string>,
    readonly body: unknown,
  ) {}
}

const MESSAGES: Record<AuthRefusal, string> = {
  unconfigured: "authentication is not configured on the server",
  missing: "missing credentials",
  wrong: "wrong credentials",
};

/**
 * Admits a request `scheme` verifies, or says how to refuse it. The check reads headers
 * only, so it runs before the body is read: an unauthenticated client cannot make the
 * server buffer a large body. Failures are logged with the client address, route and
 * reason, never the credential, and counted by `limiter`: a client over its limit gets 429
 * with `Retry-After` before its credentials are looked at. A refused request that announced
 * a body gets `Connection: close`, so its body is never read.
 */
export function admit<W extends object | true>(
  scheme: AuthScheme<W>,
  limiter: AuthFailureLimiter,
  req: AuthRequest,
): W | Refusal {
  const gate = limiter.check(req.ip);
  if (!gate.allowed) {
    const message = `too many failed authentications; retry in ${gate.retryAfterS} s`;
    const headers = closeIfBody(req, { "retry-after": String(gate.retryAfterS) });
    return new Refusal(429, headers, scheme.body(429, "held", message));
  }
  const outcome = scheme.verify(req);
  if (typeof outcome !== "string") return outcome as W;
  const verdict = outcome as AuthRefusal;
  if (verdict !== "unconfigured") {
    const log = { scope: scheme.scope, ip: req.ip, method: req.method, route: pathOf(req.url) };
    const held = limiter.fail(req.ip);
    const logger = req.log();
    logger.warn({ ...log, reason: verdict }, "authentication failed");
    if (held) logger.warn(log, "authentication failures from this client: held");
  }
  const headers = closeIfBody(req, { "www-authenticate": "Bearer" });
  return new Refusal(401, headers, scheme.body(401, verdict, MESSAGES[verdict]));
}

/**
 * An `onRequest` hook (it runs before Fastify reads the body) that admits requests `scheme`
 * verifies and answers the others as {@link admit} says.
 */
export function authenticate(scheme: AuthScheme<true>, limiter: AuthFailureLimiter) {
  // Callback style: an admitted request (the hot path) costs no promise.
  return function checkAuth(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
    const outcome = admit(scheme, limiter, {
      ip: req.ip,
      method: req.method,
      url: req.url,
      headers: req.headers,
      log: () => req.log as Logger,
    });
    if (outcome === true) {
      done();
      return;
    }
    // A refusal sends its answer, which ends the request: `done` is not called.
    reply.code(outcome.status).headers(outcome.headers).send(outcome.body);
  };
}

/**
 * The scheme of a fixed bearer token (`ADMIN_TOKEN`, `INGEST_TOKEN`). When `token` is unset
 * every call is refused, naming `variable`.
 */
export function bearerScheme(scope: string, token: string | undefined, variable: string) {
  return {
    scope,
    verify(req: { headers: IncomingHttpHeaders }): true | AuthRefusal {
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

function pathOf(url: string): string {
  return url.split("?")[0] ?? url;
}

/** `headers`, plus `Connection: close` when the request announced a body. */
function closeIfBody(req: AuthRequest, headers: Record<string, string>): Record<string, string> {
  const h = req.headers;
  const announced =
    (h["content-length"] !== undefined && h["content-length"] !== "0") ||
    h["transfer-encoding"] !== undefined;
  if (announced) headers.connection = "close";
  return headers;
}

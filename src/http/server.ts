import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { InputError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import {
  type AuthFailureLimiter,
  type AuthLimiterOptions,
  createAuthFailureLimiter,
} from "./auth-limiter.ts";
import { rejectHostileInput } from "./hostile-input.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** Failed-authentication limiter shared by every authenticated route (auth.ts). */
    authLimiter: AuthFailureLimiter;
    /**
     * Every route served (method and URL pattern): Fastify's, and those of the front
     * handler added by whoever installed it. For tests that cover them all.
     */
    routeList: { method: string; url: string }[];
    /** Installs the handler that sees every request before Fastify (see {@link FrontHandler}). */
    setFront(handler: FrontHandler): void;
    /** Whether `close()` has begun (requests arriving now get Fastify's 503). */
    closing(): boolean;
  }
}

/**
 * Serves some requests on the raw node:http objects, before Fastify builds anything for them
 * (the proxy's `/v1` hot path: src/http/v1/v1-handler.ts); returns false, touching nothing,
 * for the requests Fastify is to serve. It sees requests that come through the server only:
 * Fastify's `inject()` goes straight to Fastify's routing.
 */
export type FrontHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** A client's `x-request-id` is kept when it is 1–128 printable ASCII characters. */
const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** The request id: the client's `x-request-id` when sensible, else a fresh UUID. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Creates the Fastify instance with commandpost's error contract: 4xx bodies name what is
 * wrong (`{"error":{"message","field"}}`), 5xx bodies never leak internals. Every answer
 * carries `x-request-id` (the client's, or a generated one), which is also the `request_id`
 * of the request's log lines. `close()` stops accepting and closes idle keep-alive
 * connections but lets requests in flight finish (src/http/drain.ts bounds how long).
 */
export function createHttpServer(
  logger: Logger,
  opts: { authLimiter?: AuthLimiterOptions } = {},
): FastifyInstance {
  let front: FrontHandler | undefined;
  let closing = false;
  const app = Fastify({
    // Fastify's own server, with the front handler ahead of Fastify's (Fastify's docs,
    // Server, `serverFactory`). Fastify sets these timeouts only on a server it makes itself
    // (lib/server.js), so they are set here: keep-alive 72 s, no request or idle timeout.
    serverFactory: (handler, opts) => {
      const server = createServer((req, res) => {
        if (front?.(req, res) !== true) handler(req, res);
      });
      server.keepAliveTimeout = opts.keepAliveTimeout as number;
      server.requestTimeout = opts.requestTimeout as number;
      server.setTimeout(opts.connectionTimeout as number);
      return server;
    },
    loggerInstance: logger as FastifyBaseLogger,
    // The proxy's hot path logs nothing per request; failures are logged where they happen.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: "request_id",
    }),
    bodyLimit: 1024 * 1024,
    forceCloseConnections: "idle",
    genReqId: requestId,
  });
  app.addHook("onRequest", (req, reply, done) => {
    reply.header("x-request-id", req.id);
    done();
  });
  // preClose runs as Fastify starts closing (fastify.js: `closing = true`, then preClose).
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });
  app.decorate("setFront", (handler: FrontHandler) => {
    front = handler;
  });
  app.decorate("closing", () => closing);
  app.decorate("authLimiter", createAuthFailureLimiter(opts.authLimiter));
  const routeList: { method: string; url: string }[] = [];
  app.decorate("routeList", routeList);
  app.addHook("onRoute", (r) => {
    for (const method of [r.method].flat()) routeList.push({ method, url: r.url });
  });
  rejectHostileInput(app);
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof InputError) {
      return reply
        .code(err.statusCode)
        .send({ error: { message: err.message, field: err.field ?? null } });
    }
    const status =
      typeof (err as { statusCode?: unknown }).statusCode === "number"
        ? (err as { statusCode: number }).statusCode
        : 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: { message: (err as Error).message, field: "body" } });
    }
    req.log.error({ err, url: req.url }, "request failed");
    return reply
      .code(Math.max(status, 500))
      .send({ error: { message: "internal error; see the server log" } });
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send({ error: { message: `no route for ${req.method} ${req.url.split("?")[0]}` } }),
  );
  return app;
}

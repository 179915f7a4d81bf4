import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { InputError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import {
  type AuthFailureLimiter,
  type AuthLimiterOptions,
  createAuthFailureLimiter,
} from "./auth-limiter.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** Failed-authentication limiter shared by every authenticated route (auth.ts). */
    authLimiter: AuthFailureLimiter;
  }
}

/**
 * Creates the Fastify instance with commandpost's error contract: 4xx bodies name what is
 * wrong (`{"error":{"message","field"}}`), 5xx bodies never leak internals. `close()` stops
 * accepting and closes idle keep-alive connections at once but lets requests in flight
 * finish (the drain in src/shutdown.ts bounds how long).
 */
export function createHttpServer(
  logger: Logger,
  opts: { authLimiter?: AuthLimiterOptions } = {},
): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // The proxy's hot path logs nothing per request; failures are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    forceCloseConnections: "idle",
  });
  app.decorate("authLimiter", createAuthFailureLimiter(opts.authLimiter));
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

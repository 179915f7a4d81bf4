import type { FastifyReply, FastifyRequest } from "fastify";
import { safeEqual } from "../proxy/key-crypto.ts";

/** Reads the token of an `Authorization: Bearer <token>` header. */
export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

/**
 * A preHandler that admits requests carrying `token` as bearer. When `token` is unset every
 * call is refused (DESIGN.md: "admin API refuses all calls when unset"). `variable` names the
 * setting in the refusal.
 */
export function requireBearer(token: string | undefined, variable: string) {
  return async function checkBearer(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (token === undefined) {
      await reply
        .code(401)
        .send({ error: { message: `${variable} is not configured on the server` } });
      return;
    }
    const given = bearerToken(req);
    if (given === undefined || !safeEqual(given, token)) {
      await reply
        .code(401)
        .header("www-authenticate", "Bearer")
        .send({ error: { message: "missing or wrong bearer token" } });
    }
  };
}

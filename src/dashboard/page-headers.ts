import type { FastifyReply } from "fastify";

/**
 * Content Security Policy of the Mini App: its own script, styles and API only; framed only
 * by Telegram Web (web.telegram.org hosts Mini Apps in an iframe) or itself.
 */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self' https://web.telegram.org";

/** Sets the security headers of every page under `/app/`. */
export function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header("content-security-policy", CSP)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer");
}

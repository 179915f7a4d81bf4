import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { Logger } from "../../logger.ts";
import type { AgentKeyService } from "../../proxy/agent-keys.ts";
import { INVALID_REQUEST, openAiError } from "../../proxy/openai-error.ts";
import type { ProxyService } from "../../proxy/proxy-service.ts";
import { admit, Refusal } from "../auth.ts";
import type { AuthFailureLimiter } from "../auth-limiter.ts";
import { requestId } from "../server.ts";
import { proxyKeyScheme } from "./proxy-key-scheme.ts";
import { RequestLog } from "./request-log.ts";
import { createV1Endpoints } from "./v1-endpoints.ts";
import { bodyOf, bodyRefusal, type InputRefusal, inputRefusal } from "./v1-input.ts";
import { sendJson, serverError } from "./v1-reply.ts";
import { BAD_URL, matchV1 } from "./v1-routes.ts";

/** What {@link createV1Handler} needs. */
export interface V1Deps {
  agentKeys: AgentKeyService;
  proxy: ProxyService;
  /** The failed-authentication limiter shared with every authenticated route. */
  limiter: AuthFailureLimiter;
  logger: Logger;
  /** Wraps a streamed answer so the drain can end it (src/http/drain.ts). */
  track(stream: Readable): Readable;
  /** Whether the server is closing (then requests get Fastify's 503, `return503OnClosing`). */
  closing(): boolean;
}

/** Fastify's answer to a request arriving while the server closes (exactly 80 bytes). */
const CLOSING_BODY =
  '{"error":"Service Unavailable","message":"Service Unavailable","statusCode":503}';

/**
 * Whether `url` is served by the `/v1` handler: `/v1` itself and everything under `/v1/`,
 * as Fastify's `/v1` prefix had it (`/v1x` and `/V1/…` are not).
 */
export function isV1(url: string): boolean {
  if (!url.startsWith("/v1")) return false;
  const next = url.charCodeAt(3); // NaN at the end; then "/", "?" or "#"
  return Number.isNaN(next) || next === 0x2f || next === 0x3f || next === 0x23;
}

/**
 * The OpenAI-compatible surface under `/v1` on the raw node:http request, ahead of Fastify
 * (src/http/server.ts): the proxy's hot path skips Fastify's per-request pipeline (request
 * and reply objects, hooks, content-type parsing, serialisation). It keeps that pipeline's
 * contract, step by step: route match (a path that does not percent-decode is a 400), 503
 * while closing, the request id (`x-request-id`), the proxy key checked before the body is
 * read (failures logged and limited per client: src/http/auth.ts), the body read within the
 * route's limit and parsed as Fastify did, the hostile-input checks
 * (src/http/hostile-input.ts), then the endpoint (./v1-endpoints.ts). HEAD is served as
 * GET without a body. Every failure answers OpenAI's error shape; a 5xx names only the
 * request id.
 */
export function createV1Handler(deps: V1Deps) {
  const scheme = proxyKeyScheme(deps.agentKeys);
  const serveAdmitted = createV1Endpoints(deps);

  async function serve(req: IncomingMessage, res: ServerResponse, id: string, log: RequestLog) {
    const url = req.url as string;
    const method = req.method ?? "GET";
    const q = url.indexOf("?");
    const path = pathOf(url, q);
    const match = matchV1(method, path);
    if (match === BAD_URL)
      return refuse(res, id, {
        status: 400,
        body: openAiError(`'${path}' is not a valid url component`, INVALID_REQUEST),
        close: false,
      });
    if (deps.closing()) {
      res.setHeader("connection", "close");
      res.writeHead(503, { "content-type": "application/json", "content-length": "80" });
      res.end(CLOSING_BODY);
      return;
    }
    const agent = admit(scheme, deps.limiter, {
      ip: req.socket.remoteAddress ?? "",
      method,
      url,
      headers: req.headers,
      log: () => log.get(),
    });
    if (agent instanceof Refusal) return sendJson(res, agent.status, id, agent.body, agent.headers);
    const pending = bodyOf(req, match);
    const body = pending instanceof Promise ? await pending : pending;
    if (typeof body === "string") return refuse(res, id, bodyRefusal(body));
    const bad = inputRefusal(match, q < 0 ? undefined : url.slice(q + 1), body);
    if (bad) return refuse(res, id, bad);
    await serveAdmitted({ req, res, requestId: id, log, agent, route: match.route, body });
  }

  return {
    /**
     * Serves `req` when it is a `/v1` request and returns true; returns false (touching
     * nothing) for any other URL, which Fastify then serves.
     */
    handle(req: IncomingMessage, res: ServerResponse): boolean {
      const url = req.url ?? "";
      if (!isV1(url)) return false;
      const id = requestId(req);
      const log = new RequestLog(deps.logger, id);
      serve(req, res, id, log).catch((err: unknown) => {
        log.get().error({ err, url }, "request failed");
        if (res.headersSent) res.destroy();
        else sendJson(res, 500, id, serverError(id));
      });
      return true;
    },
  };
}

/** The path of a request target: before its query (`q`: index of "?") and fragment. */
function pathOf(url: string, q: number): string {
  const hash = url.indexOf("#");
  const end = q < 0 ? hash : hash < 0 ? q : Math.min(q, hash);
  return end < 0 ? url : url.slice(0, end);
}

function refuse(res: ServerResponse, id: string, r: InputRefusal): void {
  sendJson(res, r.status, id, r.body, r.close ? { connection: "close" } : undefined);
}

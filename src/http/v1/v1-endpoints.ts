import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { AuthenticatedAgent } from "../../proxy/agent-keys.ts";
import { INVALID_REQUEST, openAiError } from "../../proxy/openai-error.ts";
import type { ProxyService } from "../../proxy/proxy-service.ts";
import { clientSignal } from "./client-signal.ts";
import type { Body } from "./request-body.ts";
import type { RequestLog } from "./request-log.ts";
import { logProxyResult, sendJson, sendProxyResult } from "./v1-reply.ts";
import type { V1Route } from "./v1-routes.ts";

/** Longest accepted response id (OpenAI's are ~50 characters). */
const MAX_RESPONSE_ID = 256;

/** A `/v1` request that passed authentication and the input checks. */
export interface AdmittedRequest {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  log: RequestLog;
  agent: AuthenticatedAgent;
  route: V1Route;
  body: Body;
}

/**
 * The `/v1` endpoints: the model list, one model, the model-addressed calls (chat,
 * completions, embeddings, responses) and the calls about a stored response, forwarded by
 * the proxy service with a signal aborted when the client's connection closes.
 */
export function createV1Endpoints(deps: {
  proxy: ProxyService;
  /** Wraps a streamed answer so the drain can end it (src/http/drain.ts). */
  track(stream: Readable): Readable;
}) {
  return async function serveAdmitted(a: AdmittedRequest): Promise<void> {
    const { req, res, requestId: id, route } = a;
    switch (route.kind) {
      case "unknown": {
        const message = `Invalid URL (${req.method} ${(req.url as string).split("?")[0]})`;
        const err = openAiError(message, INVALID_REQUEST, { code: "unknown_url" });
        return sendJson(res, 404, id, err);
      }
      case "models":
        return sendJson(res, 200, id, {
          object: "list",
          data: deps.proxy.models().map(modelObject),
        });
      case "model": {
        if (deps.proxy.models().includes(route.id))
          return sendJson(res, 200, id, modelObject(route.id));
        const message = `The model \`${route.id}\` does not exist or you do not have access to it.`;
        const err = openAiError(message, INVALID_REQUEST, {
          param: "model",
          code: "model_not_found",
        });
        return sendJson(res, 404, id, err);
      }
      case "endpoint": {
        const body = a.body.kind === "json" ? a.body.value : undefined;
        if (typeof body !== "object" || body === null || Array.isArray(body))
          return badRequest(res, id, "body: expected a JSON object", null);
        const result = await deps.proxy.forward({
          endpoint: route.endpoint,
          body: body as Record<string, unknown>,
          agent: a.agent,
          signal: clientSignal(req.socket),
        });
        logProxyResult(a.log, a.agent.name, result, route.endpoint);
        return sendProxyResult(req, res, result, { requestId: id, track: deps.track, log: a.log });
      }
      case "by_id": {
        if (route.id.length === 0 || route.id.length > MAX_RESPONSE_ID)
          return badRequest(res, id, "response_id: expected a response id", "response_id");
        const url = req.url as string;
        const q = url.indexOf("?");
        const result = await deps.proxy.forwardByResponseId({
          method: route.method,
          responseId: route.id,
          suffix: route.suffix,
          query: q < 0 ? "" : url.slice(q),
          agent: a.agent,
          signal: clientSignal(req.socket),
        });
        logProxyResult(a.log, a.agent.name, result, `/responses/{id}${route.suffix}`);
        return sendProxyResult(req, res, result, { requestId: id, track: deps.track, log: a.log });
      }
    }
  };
}

function modelObject(id: string) {
  return { id, object: "model", created: 0, owned_by: "commandpost" };
}

/** A 400 in OpenAI's shape. */
function badRequest(res: ServerResponse, id: string, message: string, param: string | null) {
  sendJson(res, 400, id, openAiError(message, INVALID_REQUEST, { param }));
}

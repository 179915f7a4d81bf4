import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AgentKeyService, AuthenticatedAgent } from "../../proxy/agent-keys.ts";
import { INVALID_REQUEST, openAiError } from "../../proxy/openai-error.ts";
import { ENDPOINT_API, type ProxyEndpoint } from "../../proxy/proxy-apis.ts";
import type { ProxyService, ResponseIdCall } from "../../proxy/proxy-service.ts";
import { type AuthRefusal, type AuthScheme, authenticate, bearerToken } from "../auth.ts";
import {
  badRequest,
  logProxyResult,
  openAiErrorHandler,
  openAiNotFound,
  sendProxyResult,
} from "../openai-surface.ts";

declare module "fastify" {
  interface FastifyRequest {
    agent?: AuthenticatedAgent;
  }
}

const ENDPOINTS = Object.keys(ENDPOINT_API) as ProxyEndpoint[];

/** Longest accepted response id (OpenAI's are ~50 characters). */
const MAX_RESPONSE_ID = 256;

/**
 * The OpenAI-compatible surface under `/v1`, bearer = an agent's proxy key (checked before
 * the body is read, failures logged and limited per client: src/http/auth.ts). Every failure
 * answers OpenAI's error shape.
 */
export function registerProxyRoutes(
  app: FastifyInstance,
  deps: { agentKeys: AgentKeyService; proxy: ProxyService },
): void {
  app.register(
    async (v1) => {
      v1.setErrorHandler(openAiErrorHandler);
      v1.setNotFoundHandler(openAiNotFound);
      // onRequest: the proxy key is checked before the body (up to 32 MB) is read.
      v1.addHook("onRequest", authenticate(proxyKeyScheme(deps.agentKeys), app.authLimiter));

      v1.get("/models", async () => ({
        object: "list",
        data: deps.proxy.models().map(modelObject),
      }));
      v1.get("/models/*", async (req, reply) => {
        const id = (req.params as { "*": string })["*"];
        if (deps.proxy.models().includes(id)) return modelObject(id);
        return reply.code(404).send(
          openAiError(
            `The model \`${id}\` does not exist or you do not have access to it.`,
            INVALID_REQUEST,
            {
              param: "model",
              code: "model_not_found",
            },
          ),
        );
      });

      for (const endpoint of ENDPOINTS) {
        v1.post(endpoint, { bodyLimit: 32 * 1024 * 1024 }, async (req, reply) => {
          if (typeof req.body !== "object" || req.body === null || Array.isArray(req.body))
            return badRequest(reply, "body: expected a JSON object");
          const result = await deps.proxy.forward({
            endpoint,
            body: req.body as Record<string, unknown>,
            agent: req.agent as AuthenticatedAgent,
            signal: clientSignal(reply),
          });
          logProxyResult(req, result, endpoint);
          return sendProxyResult(reply, result);
        });
      }

      const byId =
        (method: ResponseIdCall["method"], suffix: ResponseIdCall["suffix"]) =>
        async (req: FastifyRequest, reply: FastifyReply) => {
          const id = (req.params as { id: string }).id;
          if (id.length === 0 || id.length > MAX_RESPONSE_ID)
            return badRequest(reply, "response_id: expected a response id", "response_id");
          const q = req.url.indexOf("?");
          const result = await deps.proxy.forwardByResponseId({
            method,
            responseId: id,
            suffix,
            query: q < 0 ? "" : req.url.slice(q),
            agent: req.agent as AuthenticatedAgent,
            signal: clientSignal(reply),
          });
          logProxyResult(req, result, `/responses/{id}${suffix}`);
          return sendProxyResult(reply, result);
        };
      v1.get("/responses/:id", byId("GET", ""));
      v1.delete("/responses/:id", byId("DELETE", ""));
      v1.get("/responses/:id/input_items", byId("GET", "/input_items"));
      v1.post("/responses/:id/cancel", byId("POST", "/cancel"));
    },
    { prefix: "/v1" },
  );
}

function modelObject(id: string) {
  return { id, object: "model", created: 0, owned_by: "commandpost" };
}

/** A signal aborted when the client goes away before the answer is written. */
function clientSignal(reply: FastifyReply): AbortSignal {
  const abort = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) abort.abort();
  });
  return abort.signal;
}

/** Proxy keys (`cp_…`) as bearer; refusals in OpenAI's error shape, which SDKs raise. */
function proxyKeyScheme(agentKeys: AgentKeyService): AuthScheme {
  return {
    scope: "proxy",
    verify(req: FastifyRequest): true | AuthRefusal {
      const key = bearerToken(req);
      if (!key) return "missing";
      const agent = agentKeys.authenticate(key);
      if (!agent) return "wrong";
      req.agent = agent;
      return true;
    },
    body(status, refusal, message) {
      if (status === 429)
        return openAiError(message, "rate_limit_error", { code: "too_many_auth_failures" });
      return openAiError(
        refusal === "wrong"
          ? "Incorrect proxy key provided"
          : "Missing proxy key (Authorization: Bearer cp_…)",
        INVALID_REQUEST,
        { code: "invalid_api_key" },
      );
    },
  };
}

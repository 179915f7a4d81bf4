import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AgentKeyService, AuthenticatedAgent } from "../../proxy/agent-keys.ts";
import type { ProxyEndpoint, ProxyService } from "../../proxy/proxy-service.ts";
import { type AuthRefusal, type AuthScheme, authenticate, bearerToken } from "../auth.ts";

declare module "fastify" {
  interface FastifyRequest {
    agent?: AuthenticatedAgent;
  }
}

const ENDPOINTS: ProxyEndpoint[] = ["/chat/completions", "/completions", "/embeddings"];

/** The OpenAI-compatible surface under `/v1`, bearer = an agent's proxy key. */
export function registerProxyRoutes(
  app: FastifyInstance,
  deps: { agents: AgentKeyService; proxy: ProxyService },
): void {
  app.register(async (v1) => {
    // onRequest: the proxy key is checked before the body (up to 32 MB) is read.
    v1.addHook("onRequest", authenticate(proxyKeyScheme(deps.agents), app.authLimiter));

    v1.get("/v1/models", async () => ({
      object: "list",
      data: deps.proxy
        .models()
        .map((id) => ({ id, object: "model", created: 0, owned_by: "commandpost" })),
    }));

    for (const endpoint of ENDPOINTS) {
      v1.post(`/v1${endpoint}`, { bodyLimit: 32 * 1024 * 1024 }, async (req, reply) => {
        if (typeof req.body !== "object" || req.body === null || Array.isArray(req.body)) {
          return reply.code(400).send({
            error: { message: "body: expected a JSON object", type: "invalid_request_error" },
          });
        }
        const abort = new AbortController();
        reply.raw.once("close", () => {
          if (!reply.raw.writableFinished) abort.abort();
        });
        const result = await deps.proxy.forward({
          endpoint,
          body: req.body as Record<string, unknown>,
          agent: req.agent as AuthenticatedAgent,
          signal: abort.signal,
        });
        if (result.kind === "error") {
          return reply
            .code(result.status)
            .headers(result.headers ?? {})
            .send(result.body);
        }
        reply.code(result.status).header("x-commandpost-backend", result.backend);
        if (result.kind === "stream") {
          reply
            .header("content-type", "text/event-stream; charset=utf-8")
            .header("cache-control", "no-cache")
            .header("x-accel-buffering", "no");
        } else {
          reply.header("content-type", result.contentType);
        }
        return reply.send(result.body);
      });
    }
  });
}

/** Proxy keys (`cp_…`) as bearer; refusals in OpenAI's error shape, which SDKs raise. */
function proxyKeyScheme(agents: AgentKeyService): AuthScheme {
  return {
    scope: "proxy",
    verify(req: FastifyRequest): true | AuthRefusal {
      const key = bearerToken(req);
      if (!key) return "missing";
      const agent = agents.authenticate(key);
      if (!agent) return "wrong";
      req.agent = agent;
      return true;
    },
    body(status, refusal, message) {
      if (status === 429)
        return { error: { message, type: "rate_limit_error", code: "too_many_auth_failures" } };
      return {
        error: {
          message:
            refusal === "wrong"
              ? "Incorrect proxy key provided"
              : "Missing proxy key (Authorization: Bearer cp_…)",
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      };
    },
  };
}

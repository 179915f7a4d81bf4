import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AgentKeyService, AuthenticatedAgent } from "../../proxy/agent-keys.ts";
import type { ProxyEndpoint, ProxyService } from "../../proxy/proxy-service.ts";
import { bearerToken } from "../auth.ts";

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
    v1.addHook("preHandler", async (req: FastifyRequest, reply: FastifyReply) => {
      const key = bearerToken(req);
      const agent = key ? deps.agents.authenticate(key) : undefined;
      if (!agent) {
        await reply.code(401).send({
          error: {
            message: key
              ? "Incorrect proxy key provided"
              : "Missing proxy key (Authorization: Bearer cp_…)",
            type: "invalid_request_error",
            code: "invalid_api_key",
          },
        });
        return;
      }
      req.agent = agent;
    });

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

import type { AgentKeyService, AuthenticatedAgent } from "../../proxy/agent-keys.ts";
import { INVALID_REQUEST, openAiError } from "../../proxy/openai-error.ts";
import { type AuthScheme, bearerToken } from "../auth.ts";

/**
 * Proxy keys (`cp_…`) as bearer: an admitted request is known by its agent. Refusals are in
 * OpenAI's error shape (`invalid_api_key`, `too_many_auth_failures`), which SDKs raise.
 */
export function proxyKeyScheme(agentKeys: AgentKeyService): AuthScheme<AuthenticatedAgent> {
  return {
    scope: "proxy",
    verify(req) {
      const key = bearerToken(req);
      if (!key) return "missing";
      return agentKeys.authenticate(key) ?? "wrong";
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

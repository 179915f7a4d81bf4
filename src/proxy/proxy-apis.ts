import { DEFAULT_APIS, PROXY_APIS } from "../../db/schema/index.ts";

export { DEFAULT_APIS, PROXY_APIS };

/** One OpenAI API a backend may serve (`chat_completions`, `completions`, `embeddings`, `responses`). */
export type ProxyApi = (typeof PROXY_APIS)[number];

/** The model-addressed endpoints under `/v1`, and the API each belongs to. */
export const ENDPOINT_API = {
  "/chat/completions": "chat_completions",
  "/completions": "completions",
  "/embeddings": "embeddings",
  "/responses": "responses",
} as const satisfies Record<string, ProxyApi>;

/** A model-addressed proxy endpoint (the body names the model). */
export type ProxyEndpoint = keyof typeof ENDPOINT_API;

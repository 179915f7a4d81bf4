import { ENDPOINT_API, type ProxyEndpoint } from "../../proxy/proxy-apis.ts";
import type { ResponseIdCall } from "../../proxy/proxy-service.ts";

/** Largest body of a model-addressed call (a long chat history with images), bytes. */
const ENDPOINT_BODY_LIMIT = 32 * 1024 * 1024;
/** Largest body of any other `/v1` request (Fastify's default `bodyLimit`, 1 MiB). */
const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** What a `/v1` request asks for, with its decoded path parameters. */
export type V1Route =
  | { kind: "models" }
  /** `GET /v1/models/{id}`: the id may hold slashes (`meta/llama-3.3-70b`). */
  | { kind: "model"; id: string }
  | { kind: "endpoint"; endpoint: ProxyEndpoint }
  | {
      kind: "by_id";
      method: ResponseIdCall["method"];
      suffix: ResponseIdCall["suffix"];
      id: string;
    }
  /** No such route: answered 404 `unknown_url` once the request passed its checks. */
  | { kind: "unknown" };

/** A matched request: its route, path parameters (for the input checks) and body limit. */
export interface V1Match {
  route: V1Route;
  /** Path parameters by name (`id`, or `*` for the model id), as Fastify named them. */
  params: Record<string, string> | undefined;
  /** Largest body accepted, bytes. */
  bodyLimit: number;
}

/** Every `/v1` route (method and URL pattern, Fastify's syntax), for the route list. */
export const V1_ROUTES: readonly { method: string; url: string }[] = [
  ...["GET", "HEAD"].flatMap((method) =>
    ["/v1/models", "/v1/models/*", "/v1/responses/:id", "/v1/responses/:id/input_items"].map(
      (url) => ({ method, url }),
    ),
  ),
  ...Object.keys(ENDPOINT_API).map((e) => ({ method: "POST", url: `/v1${e}` })),
  { method: "DELETE", url: "/v1/responses/:id" },
  { method: "POST", url: "/v1/responses/:id/cancel" },
];

const UNKNOWN: V1Match = {
  route: { kind: "unknown" },
  params: undefined,
  bodyLimit: DEFAULT_BODY_LIMIT,
};
const MODELS: V1Match = { route: { kind: "models" }, params: undefined, bodyLimit: 0 };
/** The endpoints by their path segments after `/v1` (`["chat", "completions"]`). */
const ENDPOINTS = (Object.keys(ENDPOINT_API) as ProxyEndpoint[]).map((endpoint) => ({
  parts: endpoint.slice(1).split("/"),
  match: {
    route: { kind: "endpoint", endpoint },
    params: undefined,
    bodyLimit: ENDPOINT_BODY_LIMIT,
  } satisfies V1Match,
}));

/** The endpoints by their plain path (`/v1/chat/completions`). */
const ENDPOINT_PATHS = new Map(ENDPOINTS.map((e) => [`/v1/${e.parts.join("/")}`, e.match]));

/** The path was not valid percent-encoding (Fastify's `FST_ERR_BAD_URL`). */
export const BAD_URL = Symbol("bad url");

/**
 * Matches `method` and `path` (the request target before `?` or `#`, starting with `/v1`) the
 * way Fastify's router did for these routes: each segment percent-decoded (so
 * `/v1/%63hat/completions` is chat and `/v1/chat%2Fcompletions` is not), case-sensitive, no
 * trailing slash, HEAD served as GET. Returns {@link BAD_URL} when a segment does not decode.
 */
export function matchV1(method: string, path: string): V1Match | typeof BAD_URL {
  // The hot path: a model-addressed call on its plain path.
  if (method === "POST") {
    const hit = ENDPOINT_PATHS.get(path);
    if (hit) return hit;
  }
  const segments = path.split("/");
  // segments[0] is "" (before the leading slash) and segments[1] "v1".
  if (segments[1] !== "v1") return UNKNOWN;
  if (path.includes("%")) {
    for (let i = 2; i < segments.length; i++) {
      try {
        segments[i] = decodeURIComponent(segments[i] as string);
      } catch {
        return BAD_URL;
      }
    }
  }
  const n = segments.length;
  if (method === "POST") {
    for (const e of ENDPOINTS) {
      if (e.parts.length === n - 2 && e.parts.every((p, i) => p === segments[i + 2]))
        return e.match;
    }
  }
  const get = method === "GET" || method === "HEAD";
  const first = segments[2];
  if (first === "models") {
    if (n === 3) return get ? MODELS : UNKNOWN;
    if (!get) return UNKNOWN;
    const id = segments.slice(3).join("/");
    return { route: { kind: "model", id }, params: { "*": id }, bodyLimit: 0 };
  }
  if (first === "responses" && (n === 4 || n === 5)) {
    const id = segments[3] as string;
    const byId = (m: ResponseIdCall["method"], suffix: ResponseIdCall["suffix"]): V1Match => ({
      route: { kind: "by_id", method: m, suffix, id },
      params: { id },
      bodyLimit: DEFAULT_BODY_LIMIT,
    });
    if (n === 4) {
      if (get) return byId("GET", "");
      return method === "DELETE" ? byId("DELETE", "") : UNKNOWN;
    }
    if (segments[4] === "input_items" && get) return byId("GET", "/input_items");
    if (segments[4] === "cancel" && method === "POST") return byId("POST", "/cancel");
  }
  return UNKNOWN;
}

import type { z } from "zod";
import { coerceError } from "../errors.ts";
import type { AuthenticatedAgent } from "../proxy/agent-keys.ts";
import type { ProxyResult, ProxyService } from "../proxy/proxy-service.ts";

/**
 * The built-in proxy agent the triage model calls are made as: usage, tokens and cost show
 * under this name (`GET /api/admin/stats/total?group_by=agent`). Names starting with
 * `commandpost-` cannot be given to agents over the admin API.
 */
export const TRIAGE_AGENT: AuthenticatedAgent = {
  id: "builtin:commandpost-triage",
  name: "commandpost-triage",
};

/** What a model call gave: a value that passed its schema, or why it did not. */
export type ModelOutcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** One structured request: messages and a `response_format`, answered as JSON. */
export interface StructuredRequest<S extends z.ZodType> {
  messages: { role: "system" | "user"; content: string }[];
  responseFormat: Record<string, unknown>;
  /** Validates the parsed JSON content of the answer. */
  schema: S;
  maxTokens: number;
}

/** Dependencies of {@link createModelClient}. */
export interface ModelClientDeps {
  proxy: Pick<ProxyService, "forward">;
  /** Canonical model name (`TRIAGE_MODEL`). */
  model: string;
  /** Per call, in ms (`TRIAGE_TIMEOUT_S`). */
  timeoutMs: number;
}

/** Calls the triage model through the proxy, in process. */
export type ModelClient = ReturnType<typeof createModelClient>;

/**
 * Builds the model client. A call goes through the proxy service's own `forward`, the path
 * of `POST /v1/chat/completions`: the same routing, RPM buckets, cooldowns, failover and
 * usage accounting, as {@link TRIAGE_AGENT}. It never throws: every failure (all backends
 * exhausted, timeout, an upstream error, a refusal, content that is not JSON or does not
 * pass the schema) is an outcome with a short reason.
 */
export function createModelClient(deps: ModelClientDeps) {
  async function forward(body: Record<string, unknown>, signal: AbortSignal) {
    return deps.proxy.forward({ endpoint: "/chat/completions", body, agent: TRIAGE_AGENT, signal });
  }

  return {
    model: deps.model,

    async complete<S extends z.ZodType>(
      req: StructuredRequest<S>,
      stop?: AbortSignal,
    ): Promise<ModelOutcome<z.output<S>>> {
      const abort = new AbortController();
      const onStop = () => abort.abort();
      stop?.addEventListener("abort", onStop, { once: true });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<ModelOutcome<never>>((resolve) => {
        timer = setTimeout(() => {
          abort.abort();
          resolve({ ok: false, reason: `timeout after ${deps.timeoutMs / 1000} s` });
        }, deps.timeoutMs);
      });
      const body = {
        model: deps.model,
        messages: req.messages,
        response_format: req.responseFormat,
        max_tokens: req.maxTokens,
        temperature: 0.2,
      };
      try {
        const call = forward(body, abort.signal).then(
          (r) => (abort.signal.aborted ? stopped : outcomeOf(r, req.schema)),
          (err: unknown): ModelOutcome<never> => ({
            ok: false,
            reason: coerceError(err).message.slice(0, 120),
          }),
        );
        return await Promise.race([call, timedOut]);
      } finally {
        clearTimeout(timer);
        stop?.removeEventListener("abort", onStop);
      }
    },
  };
}

const stopped: ModelOutcome<never> = { ok: false, reason: "stopped" };

/** What the proxy's result means for a structured request. */
function outcomeOf<S extends z.ZodType>(r: ProxyResult, schema: S): ModelOutcome<z.output<S>> {
  if (r.kind === "stream") return { ok: false, reason: "unexpected stream" };
  if (r.kind === "error") {
    if (r.body.error.type === "all_pools_exhausted")
      return { ok: false, reason: "every backend exhausted" };
    if (r.status === 404)
      return { ok: false, reason: "the model is not served by any enabled backend" };
    return { ok: false, reason: `proxy answered ${r.status} (${r.body.error.type})` };
  }
  if (r.status >= 400) return { ok: false, reason: `upstream answered ${r.status}` };
  return readAnswer(r.body, schema);
}

/**
 * Reads an OpenAI chat completion: a refusal (`message.refusal`, or `finish_reason`
 * `content_filter`) or content that is not JSON or fails `schema` is a failed outcome.
 */
export function readAnswer<S extends z.ZodType>(raw: Buffer, schema: S): ModelOutcome<z.output<S>> {
  let completion: unknown;
  try {
    completion = JSON.parse(raw.toString("utf8"));
  } catch {
    return { ok: false, reason: "the upstream answer is not JSON" };
  }
  const choice = (completion as { choices?: unknown[] })?.choices?.[0] as
    | { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }
    | undefined;
  const message = choice?.message;
  if (typeof message?.refusal === "string" && message.refusal !== "")
    return { ok: false, reason: "the model refused" };
  if (choice?.finish_reason === "content_filter") return { ok: false, reason: "the model refused" };
  if (typeof message?.content !== "string")
    return { ok: false, reason: "no content in the answer" };
  let json: unknown;
  try {
    json = JSON.parse(message.content);
  } catch {
    return { ok: false, reason: "invalid JSON from the model" };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.map(String).join(".") || "answer";
    return { ok: false, reason: `invalid answer: ${where}: ${issue?.message ?? "invalid"}` };
  }
  return { ok: true, value: parsed.data };
}

import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { ProxyApi } from "../proxy/proxy-apis.ts";
import type { AttemptSpan, AttemptSpanInfo, ProxyTracer } from "../proxy/proxy-tracer.ts";

/** GenAI operation names (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/). */
const OPERATION: Record<ProxyApi, string> = {
  chat_completions: "chat",
  completions: "text_completion",
  embeddings: "embeddings",
  responses: "chat",
};

/**
 * GenAI client spans for the proxy's upstream attempts, following the OpenTelemetry GenAI
 * semantic conventions: span name `{operation} {model}`, `gen_ai.operation.name`,
 * `gen_ai.provider.name` (the backends speak OpenAI's API), `gen_ai.request.model` (the id
 * sent upstream), `gen_ai.usage.input_tokens` / `output_tokens`, `server.address`; plus
 * `commandpost.backend`, `commandpost.model` (canonical) and `commandpost.agent`.
 */
export function createProxySpans(): ProxyTracer {
  const tracer = trace.getTracer("commandpost-proxy");
  return {
    startAttempt(info: AttemptSpanInfo): AttemptSpan {
      const operation = OPERATION[info.api];
      const url = new URL(info.baseUrl);
      const span = tracer.startSpan(`${operation} ${info.nativeModel || info.api}`, {
        kind: SpanKind.CLIENT,
        attributes: {
          "gen_ai.operation.name": operation,
          "gen_ai.provider.name": "openai",
          ...(info.nativeModel && { "gen_ai.request.model": info.nativeModel }),
          ...(info.model && { "commandpost.model": info.model }),
          "commandpost.api": info.api,
          "commandpost.backend": info.backend,
          "commandpost.agent": info.agent,
          "server.address": url.hostname,
          "server.port": Number(url.port) || (url.protocol === "https:" ? 443 : 80),
        },
      });
      const ctx = trace.setSpan(context.active(), span);
      let ended = false;
      return {
        within: (fn) => context.with(ctx, fn),
        end(r) {
          if (ended) return;
          ended = true;
          if (r.status !== undefined) span.setAttribute("http.response.status_code", r.status);
          if (r.usage) {
            span.setAttribute("gen_ai.usage.input_tokens", r.usage.prompt_tokens);
            span.setAttribute("gen_ai.usage.output_tokens", r.usage.completion_tokens);
          }
          if (r.error !== undefined || (r.status !== undefined && r.status >= 400)) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: r.error });
            span.setAttribute("error.type", r.error ? "upstream_error" : String(r.status));
          }
          span.end();
        },
      };
    },
  };
}

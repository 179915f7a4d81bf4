import { FastifyOtelInstrumentation } from "@fastify/otel";
import { trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { instrumentDrizzle } from "./db-spans.ts";
import { createProxySpans } from "./proxy-spans.ts";
import { createSharedWorkSpans } from "./shared-work-spans.ts";
import type { Tracing } from "./tracing-types.ts";

/** Requests not worth a trace: scrapes and probes. */
const UNTRACED_PATHS = new Set(["/metrics", "/healthz", "/readyz"]);

/**
 * Starts OpenTelemetry tracing: a Node tracer provider exporting over OTLP/HTTP (the exporter
 * reads `OTEL_EXPORTER_OTLP_ENDPOINT` and the other standard `OTEL_EXPORTER_OTLP_*` and
 * `OTEL_BSP_*` variables), the official instrumentations for incoming HTTP
 * (instrumentation-http), Fastify routes (@fastify/otel) and upstream calls through undici
 * (instrumentation-undici, which also propagates `traceparent` to the backends), drizzle
 * statements (./db-spans.ts) and GenAI spans for proxy attempts (./proxy-spans.ts).
 *
 * Loaded with a dynamic import, and only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, before
 * the app is built (Fastify registers @fastify/otel when it is created): with tracing off
 * no OpenTelemetry code is loaded.
 */
export function startTracing(opts: { version: string }): Tracing {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      "service.name": process.env.OTEL_SERVICE_NAME ?? "commandpost",
      "service.version": opts.version,
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? "").split("?")[0] ?? ""),
        // grammY long-polls Telegram; one span per empty poll is noise.
        ignoreOutgoingRequestHook: (req) => String(req.path ?? "").includes("/getUpdates"),
      }),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: ({ url }) => UNTRACED_PATHS.has(url),
      }),
      new UndiciInstrumentation(),
    ],
  });
  instrumentDrizzle();
  return {
    proxyTracer: createProxySpans(),
    ingestTracer: createSharedWorkSpans("ingest"),
    logMixin: (): Record<string, string> => {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const c = span.spanContext();
      return { trace_id: c.traceId, span_id: c.spanId };
    },
    shutdown: () => provider.shutdown(),
  };
}

import type { SharedWorkTracer } from "../events/group-commit.ts";
import type { ProxyTracer } from "../proxy/proxy-tracer.ts";

/**
 * Running OpenTelemetry tracing (src/tracing/tracing.ts). The types live apart so the app can
 * name them without loading any OpenTelemetry code when tracing is off.
 */
export interface Tracing {
  /** GenAI spans for the proxy's upstream attempts. */
  proxyTracer: ProxyTracer;
  /** Ingest transactions shared by several webhooks (src/events/group-commit.ts). */
  ingestTracer: SharedWorkTracer;
  /** pino `mixin`: adds `trace_id` and `span_id` of the active span to each log line. */
  logMixin: () => Record<string, string>;
  /** Flushes pending spans and stops the exporter. */
  shutdown(): Promise<void>;
}

import type { ProxyApi } from "./proxy-apis.ts";
import type { TokenUsage } from "./sse-dialects.ts";

/** What a proxy span describes: one upstream attempt. */
export interface AttemptSpanInfo {
  api: ProxyApi;
  /** Canonical model asked for (undefined for calls addressed by response id). */
  model: string | undefined;
  /** The backend's model id sent upstream ("" when none). */
  nativeModel: string;
  backend: string;
  /** The backend's base URL (its host becomes `server.address`). */
  baseUrl: string;
  agent: string;
}

/** How an attempt ended, for its span. */
export interface AttemptSpanEnd {
  /** Upstream HTTP status, when it answered. */
  status?: number;
  usage?: TokenUsage | null;
  /** What went wrong (connection error, mid-stream failure). */
  error?: string;
}

/** One open proxy span. */
export interface AttemptSpan {
  /** Runs `fn` with this span active, so the upstream HTTP client span becomes its child. */
  within<T>(fn: () => Promise<T>): Promise<T>;
  /** Ends the span (a stream's at its end). Idempotent. */
  end(result: AttemptSpanEnd): void;
}

/**
 * Tracing of proxy attempts. Absent unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set, so the proxy
 * pays nothing when tracing is off; the OpenTelemetry implementation is in
 * src/tracing/proxy-spans.ts and is loaded only then.
 */
export interface ProxyTracer {
  startAttempt(info: AttemptSpanInfo): AttemptSpan;
}

import {
  type Context,
  context,
  type Link,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { SharedWorkTracer } from "../events/group-commit.ts";

/**
 * Spans for work shared by several requests (an ingest transaction that holds several
 * webhooks, src/events/group-commit.ts). Work for one request runs in that request's
 * context, so its database spans are children of its HTTP server span. Work for several
 * runs in a root INTERNAL span named `name`, with one link to each request's span and
 * `commandpost.shared.calls` = their count: the way OpenTelemetry describes batch
 * processing (https://opentelemetry.io/docs/concepts/signals/traces/#span-links).
 */
export function createSharedWorkSpans(name: string): SharedWorkTracer {
  const tracer = trace.getTracer("commandpost-ingest");
  return {
    capture: () => context.active(),
    run<T>(contexts: unknown[], fn: () => Promise<T>): Promise<T> {
      const own = contexts as Context[];
      if (own.length === 1) return context.with(own[0] as Context, fn);
      const links: Link[] = [];
      for (const c of own) {
        const span = trace.getSpan(c);
        if (span) links.push({ context: span.spanContext() });
      }
      const options = {
        kind: SpanKind.INTERNAL,
        root: true,
        links,
        attributes: { "commandpost.shared.calls": own.length },
      };
      return tracer.startActiveSpan(name, options, async (span) => {
        try {
          return await fn();
        } catch (err) {
          // The error's name only: a database message can quote the rows' values.
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).name });
          throw err;
        } finally {
          span.end();
        }
      });
    },
  };
}

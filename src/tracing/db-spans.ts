import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { PgPreparedQuery } from "drizzle-orm/pg-core";

type QueryWithCache = (
  queryString: string,
  params: unknown[],
  query: () => Promise<unknown>,
) => Promise<unknown>;

/**
 * Spans for database work. There is no official OpenTelemetry instrumentation for postgres.js
 * or PGlite, and drizzle-orm's own tracing hook is inert in 0.45, so the one method every
 * drizzle Postgres driver runs each statement through (`PgPreparedQuery.queryWithCache`,
 * shared by postgres.js and PGlite) is wrapped: a CLIENT span per statement with the
 * database semantic conventions (https://opentelemetry.io/docs/specs/semconv/database/):
 * `db.system.name`, `db.operation.name`, `db.query.text` (parameterised, so values never
 * leave). Only statements run inside a traced unit of work (an HTTP request) get a span:
 * background polling would otherwise make a root span per statement. Installed once, only
 * when tracing is on.
 */
export function instrumentDrizzle(): void {
  const proto = PgPreparedQuery.prototype as unknown as { queryWithCache: QueryWithCache };
  const original = proto.queryWithCache;
  if ((original as { traced?: boolean }).traced) return;
  const tracer = trace.getTracer("commandpost-db");
  const wrapped: QueryWithCache = function (this: unknown, queryString, params, query) {
    if (!trace.getActiveSpan()) return original.call(this, queryString, params, query);
    const operation = /^\s*(\w+)/.exec(queryString)?.[1]?.toUpperCase() ?? "QUERY";
    const span = tracer.startSpan(operation, {
      kind: SpanKind.CLIENT,
      attributes: {
        "db.system.name": "postgresql",
        "db.operation.name": operation,
        "db.query.text": queryString,
      },
    });
    return context.with(trace.setSpan(context.active(), span), async () => {
      try {
        return await original.call(this, queryString, params, query);
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        span.setAttribute("error.type", (err as Error).name);
        throw err;
      } finally {
        span.end();
      }
    });
  };
  (wrapped as { traced?: boolean }).traced = true;
  proto.queryWithCache = wrapped;
}

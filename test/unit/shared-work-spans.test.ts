import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { context, trace } from "@opentelemetry/api";
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-node";
import { createGroupCommit } from "../../src/events/group-commit.ts";
import { createSharedWorkSpans } from "../../src/tracing/shared-work-spans.ts";

describe("spans of a group commit's runs", () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  before(() => provider.register());
  after(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  /** Submits `items` inside a request span `name`, as an HTTP handler would. */
  const tracer = () => trace.getTracer("test");
  function request<R>(name: string, submit: () => Promise<R>): Promise<R> {
    return tracer().startActiveSpan(name, async (span) => {
      try {
        return await submit();
      } finally {
        span.end();
      }
    });
  }
  /** The work of a run: one child span, as each database statement makes. */
  const run = async (items: number[]) => {
    tracer()
      .startSpan(`statement ${items.join(",")}`)
      .end();
    return items;
  };
  /** A group commit over `run`, traced as the app traces ingest. */
  const tracedQueue = () =>
    createGroupCommit(run, {
      maxItems: 10,
      concurrency: 1,
      tracer: createSharedWorkSpans("ingest"),
    });
  const spans = () => exporter.getFinishedSpans();
  const named = (name: string) => spans().find((s) => s.name === name);

  it("a run for one request happens inside that request's trace", async () => {
    exporter.reset();
    const q = tracedQueue();
    await request("webhook A", () => q.submit([1]));
    const a = named("webhook A");
    const statement = named("statement 1");
    assert.ok(a && statement);
    assert.equal(statement.spanContext().traceId, a.spanContext().traceId);
    assert.equal(statement.parentSpanContext?.spanId, a.spanContext().spanId);
  });

  it("a run shared by several requests is a root span of its own, linked to each", async () => {
    exporter.reset();
    const q = tracedQueue();
    await Promise.all([
      request("webhook A", () => q.submit([1])),
      request("webhook B", () => q.submit([2])),
    ]);
    const shared = named("ingest");
    const a = named("webhook A");
    const b = named("webhook B");
    assert.ok(shared && a && b);
    assert.equal(shared.parentSpanContext, undefined, "a root span");
    assert.equal(shared.attributes["commandpost.shared.calls"], 2);
    assert.deepEqual(
      shared.links.map((l) => l.context.spanId).sort(),
      [a.spanContext().spanId, b.spanContext().spanId].sort(),
    );
    const statement = named("statement 1,2");
    assert.equal(statement?.parentSpanContext?.spanId, shared.spanContext().spanId);
  });
});

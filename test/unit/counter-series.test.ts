import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Counter, Registry } from "prom-client";
import { BatchedCounter } from "../../src/proxy/counter-series.ts";

describe("batched counter series", () => {
  it("shows every increment at each scrape, summed per label set", async () => {
    const registry = new Registry();
    const batch = new BatchedCounter<"backend" | "status">();
    new Counter({
      name: "t_requests_total",
      help: "test",
      labelNames: ["backend", "status"],
      registers: [registry],
      collect() {
        batch.flush(this);
      },
    });
    const ok = batch.series("a\u0000200", { backend: "a", status: "200" });
    ok.inc();
    ok.inc();
    batch.series("a\u0000500", { backend: "a", status: "500" }).inc(0.5);
    assert.equal(batch.series("a\u0000200", { backend: "a", status: "200" }), ok, "one per key");
    let text = await registry.metrics();
    assert.match(text, /^t_requests_total\{backend="a",status="200"\} 2$/m);
    assert.match(text, /^t_requests_total\{backend="a",status="500"\} 0.5$/m);
    ok.inc(3);
    text = await registry.metrics();
    assert.match(text, /^t_requests_total\{backend="a",status="200"\} 5$/m, "cumulative");
    text = await registry.metrics();
    assert.match(text, /^t_requests_total\{backend="a",status="200"\} 5$/m, "not counted twice");
  });
});

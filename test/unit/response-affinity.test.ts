import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createResponseAffinity } from "../../src/proxy/response-affinity.ts";
import { passedHeaders } from "../../src/proxy/upstream-exchange.ts";
import { responseOfJson } from "../../src/proxy/usage-json.ts";

const HOUR = 3_600_000;

describe("response affinity", () => {
  it("remembers which backend produced a response for 24 hours", () => {
    const a = createResponseAffinity();
    a.remember("resp_1", "backend-a", 0);
    assert.equal(a.backendOf("resp_1", 23 * HOUR), "backend-a");
    assert.equal(a.backendOf("resp_1", 24 * HOUR), undefined);
    assert.equal(a.backendOf("resp_unknown", 0), undefined);
  });

  it("drops expired and, past its bound, the oldest ids as new ones come", () => {
    const a = createResponseAffinity({ ttlMs: 1000, max: 3 });
    for (let i = 0; i < 5; i++) a.remember(`r${i}`, "b", i);
    assert.equal(a.size, 3);
    assert.equal(a.backendOf("r0", 5), undefined);
    assert.equal(a.backendOf("r4", 5), "b");
    a.remember("late", "b", 5000);
    assert.equal(a.size, 1, "the expired ones went");
  });
});

describe("reading upstream answers", () => {
  it("reads a Responses API object's id and usage", () => {
    const body = Buffer.from(
      JSON.stringify({
        id: "resp_9",
        object: "response",
        usage: { input_tokens: 3, output_tokens: 8 },
      }),
    );
    assert.deepEqual(responseOfJson(body), {
      id: "resp_9",
      usage: { prompt_tokens: 3, completion_tokens: 8 },
    });
    assert.deepEqual(responseOfJson(Buffer.from("not json")), { id: null, usage: null });
  });

  it("passes only the rate-limit and processing-time headers on", () => {
    assert.deepEqual(
      passedHeaders({
        "x-ratelimit-limit-requests": "60",
        "openai-processing-ms": "40",
        "set-cookie": ["a", "b"],
        "x-request-id": "upstream-id",
      }),
      { "x-ratelimit-limit-requests": "60", "openai-processing-ms": "40" },
    );
    assert.equal(passedHeaders({ "content-type": "application/json" }), undefined);
  });
});

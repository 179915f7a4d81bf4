import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import OpenAI from "openai";
import { RESPONSES_USAGE } from "../../scripts/fake-responses.ts";
import { ADMIN_TOKEN, call, startTestApp, type TestApp } from "../helpers/app.ts";
import { testDatabases } from "../helpers/db.ts";
import { startTestUpstream, type TestUpstream } from "../helpers/upstream.ts";

const MODEL = "gpt-5-codex";
const PRICE_IN = 0.000001;
const PRICE_OUT = 0.000004;

const backend = (name: string, up: TestUpstream, over: Record<string, unknown> = {}) => ({
  name,
  base_url: up.url,
  api_key: `key-of-${name}-0123456789`,
  pool: "primary",
  rpm_limit: 1000,
  apis: ["chat_completions", "responses"],
  models: [
    {
      canonical: MODEL,
      native: `native/${name}`,
      input_cost_per_token: PRICE_IN,
      output_cost_per_token: PRICE_OUT,
    },
  ],
  ...over,
});

/** Responses POSTs an upstream received. */
const creates = (up: TestUpstream) =>
  up.received.filter((r) => r.method === "POST" && r.path === "/v1/responses");

for (const kind of testDatabases()) {
  describe(`Responses API through the proxy on ${kind.name}`, () => {
    let t: TestApp;
    let a: TestUpstream;
    let b: TestUpstream;
    let chatOnly: TestUpstream;
    let client: OpenAI;
    let key: string;

    const totals = async () =>
      (await call(`${t.url}/api/admin/stats/total?group_by=agent`, { token: ADMIN_TOKEN })).body
        .total;

    before(async () => {
      [a, b, chatOnly] = await Promise.all([
        startTestUpstream(),
        startTestUpstream(),
        startTestUpstream(),
      ]);
      t = await startTestApp(await kind.open());
      for (const body of [
        backend("ra", a),
        backend("rb", b),
        // Serves the same model, but not the Responses API: it must never see a /responses call.
        backend("chat-only", chatOnly, {
          apis: undefined,
          models: [
            { canonical: MODEL, native: "x" },
            { canonical: "chat-model", native: "y" },
          ],
        }),
      ]) {
        const res = await call(`${t.url}/api/admin/backends`, { token: ADMIN_TOKEN, body });
        assert.equal(res.status, 201, JSON.stringify(res.body));
      }
      const agent = await call(`${t.url}/api/admin/agents`, {
        token: ADMIN_TOKEN,
        body: { name: "codex" },
      });
      key = agent.body.key;
      client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0 });
    });
    after(async () => {
      await t.stop();
      await Promise.all([a.close(), b.close(), chatOnly.close()]);
    });
    beforeEach(() => {
      for (const up of [a, b, chatOnly]) up.behave({ kind: "ok" });
    });

    it("shows the backend's APIs and defaults them to chat, completions and embeddings", async () => {
      const list = (await call(`${t.url}/api/admin/backends`, { token: ADMIN_TOKEN })).body
        .backends as { name: string; apis: string[]; inject_stream_usage: boolean }[];
      assert.deepEqual(list.find((x) => x.name === "ra")?.apis, ["chat_completions", "responses"]);
      assert.deepEqual(list.find((x) => x.name === "chat-only")?.apis, [
        "chat_completions",
        "completions",
        "embeddings",
      ]);
      assert.equal(list.find((x) => x.name === "ra")?.inject_stream_usage, true);
      const bad = await call(`${t.url}/api/admin/backends`, {
        token: ADMIN_TOKEN,
        body: backend("bad", a, { apis: ["responses", "images"] }),
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, "apis.1");
    });

    it("creates a response with the openai client: native model upstream, usage and cost accounted", async () => {
      const before = await totals();
      const out = await client.responses.create({ model: MODEL, input: "say hello" });
      assert.match(out.output_text, /^hello from native\/r[ab]$/);
      assert.equal(out.usage?.input_tokens, RESPONSES_USAGE.input_tokens);
      const sent = [...creates(a), ...creates(b)].at(-1);
      assert.match(String(sent?.body?.model), /^native\/r[ab]$/);
      assert.equal(creates(chatOnly).length, 0, "a backend without the Responses API gets none");
      const after = await totals();
      assert.equal(after.requests - before.requests, 1);
      assert.equal(after.prompt_tokens - before.prompt_tokens, RESPONSES_USAGE.input_tokens);
      assert.equal(
        after.completion_tokens - before.completion_tokens,
        RESPONSES_USAGE.output_tokens,
      );
      const cost =
        RESPONSES_USAGE.input_tokens * PRICE_IN + RESPONSES_USAGE.output_tokens * PRICE_OUT;
      assert.ok(Math.abs(after.cost_usd - before.cost_usd - cost) < 1e-12);
    });

    it("streams a response event by event, ending with the upstream's response.completed", async () => {
      const before = await totals();
      const stream = client.responses.stream({ model: MODEL, input: "stream please" });
      const types: string[] = [];
      let text = "";
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === "response.output_text.delta") text += event.delta;
      }
      const final = await stream.finalResponse();
      assert.equal(types[0], "response.created");
      assert.equal(types.at(-1), "response.completed");
      assert.ok(types.filter((x) => x === "response.output_text.delta").length >= 3);
      assert.match(text, /^hello from native\/r[ab]$/);
      assert.equal(final.output_text, text);
      const after = await totals();
      assert.equal(after.prompt_tokens - before.prompt_tokens, RESPONSES_USAGE.input_tokens);
      assert.equal(
        after.completion_tokens - before.completion_tokens,
        RESPONSES_USAGE.output_tokens,
      );
    });

    it("sends previous_response_id to the backend that produced it, streamed or not", async () => {
      for (const stream of [false, true]) {
        const first = stream
          ? await client.responses.stream({ model: MODEL, input: "one" }).finalResponse()
          : await client.responses.create({ model: MODEL, input: "one" });
        const owner = [a, b].find((up) => up.hasResponse(first.id));
        assert.ok(owner, "one upstream stored it");
        const before = creates(owner).length;
        let previous = first.id;
        for (let i = 0; i < 4; i++) {
          // The other upstream would answer 400 previous_response_not_found.
          const next = await client.responses.create({
            model: MODEL,
            input: `turn ${i}`,
            previous_response_id: previous,
          });
          previous = next.id;
        }
        assert.equal(creates(owner).length - before, 4, "every turn went to the producer");
      }
    });

    it("lets the first backend answer for an unknown previous_response_id", async () => {
      await assert.rejects(
        client.responses.create({
          model: MODEL,
          input: "x",
          previous_response_id: "resp_never_made",
        }),
        (err: unknown) =>
          err instanceof OpenAI.BadRequestError && err.code === "previous_response_not_found",
      );
    });

    it("retrieves and deletes a stored response on the backend that produced it", async () => {
      const made = await client.responses.create({ model: MODEL, input: "keep me" });
      for (let i = 0; i < 3; i++) {
        const got = await client.responses.retrieve(made.id);
        assert.equal(got.id, made.id);
        assert.equal(got.output_text, made.output_text);
      }
      await client.responses.delete(made.id);
      await assert.rejects(client.responses.retrieve(made.id), OpenAI.NotFoundError);
    });

    it("answers 404 for a model only backends without the Responses API serve", async () => {
      await assert.rejects(
        client.responses.create({ model: "chat-model", input: "x" }),
        (err: unknown) => err instanceof OpenAI.NotFoundError && err.code === "model_not_found",
      );
    });

    it("fails over before the first byte", async () => {
      a.behave({ kind: "status", status: 503 });
      b.behave({ kind: "status", status: 503 });
      const failing = await client.responses
        .create({ model: MODEL, input: "x" })
        .catch((e: unknown) => e);
      assert.ok(failing instanceof OpenAI.APIError && failing.status === 503);
      a.behave({ kind: "status", status: 502 });
      b.behave({ kind: "ok" });
      for (let i = 0; i < 3; i++) {
        const out = await client.responses.create({ model: MODEL, input: "x" });
        assert.equal(out.output_text, "hello from native/rb");
      }
      const stream = client.responses.stream({ model: MODEL, input: "x" });
      assert.equal((await stream.finalResponse()).output_text, "hello from native/rb");
    });

    it("ends a stream that fails mid-way with an error event the client raises", async () => {
      a.behave({ kind: "midstream_fail" });
      b.behave({ kind: "midstream_fail" });
      const stream = client.responses.stream({ model: MODEL, input: "x" });
      const seen: string[] = [];
      await assert.rejects(async () => {
        for await (const event of stream) seen.push(event.type);
      }, /upstream stream failed/);
      assert.ok(seen.includes("response.output_text.delta"), "events before the failure arrived");
      assert.ok(!seen.includes("response.completed"));
    });

    it("passes the upstream's rate-limit headers and names the request", async () => {
      for (const up of [a, b]) {
        up.behave({
          kind: "ok",
          headers: {
            "x-ratelimit-remaining-requests": "41",
            "x-ratelimit-reset-tokens": "6ms",
            "openai-processing-ms": "12",
            "x-internal-thing": "no",
          },
        });
      }
      const { response } = await client.responses
        .create({ model: MODEL, input: "x" }, { headers: { "x-request-id": "agent-req-1" } })
        .withResponse();
      assert.equal(response.headers.get("x-ratelimit-remaining-requests"), "41");
      assert.equal(response.headers.get("x-ratelimit-reset-tokens"), "6ms");
      assert.equal(response.headers.get("openai-processing-ms"), "12");
      assert.equal(response.headers.get("x-internal-thing"), null, "only those pass");
      assert.equal(response.headers.get("x-request-id"), "agent-req-1");
      const streamed = await fetch(`${t.url}/v1/responses`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: MODEL, input: "x", stream: true }),
      });
      assert.equal(streamed.headers.get("x-ratelimit-remaining-requests"), "41");
      assert.match(streamed.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
      await streamed.text();
    });
  });
}

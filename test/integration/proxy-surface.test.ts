import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { ADMIN_TOKEN, call, startTestApp, type TestApp } from "../helpers/app.ts";
import { testDatabases } from "../helpers/db.ts";
import { startTestUpstream, type TestUpstream } from "../helpers/upstream.ts";

const MODEL = "llama-3.3-70b";

/** Asserts OpenAI's error shape: all four keys, strings or null. */
function assertOpenAiError(body: unknown, status: number, got: number) {
  assert.equal(got, status, JSON.stringify(body));
  const e = (body as { error?: Record<string, unknown> }).error;
  assert.ok(e, `an error object: ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(e).sort(), ["code", "message", "param", "type"]);
  assert.equal(typeof e.message, "string");
  assert.equal(typeof e.type, "string");
  for (const k of ["param", "code"]) assert.ok(e[k] === null || typeof e[k] === "string");
}

for (const kind of testDatabases()) {
  describe(`the OpenAI surface of /v1 on ${kind.name}`, () => {
    let t: TestApp;
    let up: TestUpstream;
    let fb: TestUpstream;
    let key: string;
    let client: OpenAI;
    let backendId: string;
    const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
      fetch(`${t.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
        body,
      });
    const metrics = async () => (await fetch(`${t.url}/metrics`)).text();

    before(async () => {
      [up, fb] = await Promise.all([startTestUpstream(), startTestUpstream()]);
      t = await startTestApp(await kind.open(), { PROXY_QUEUE_TIMEOUT_S: "0" });
      const mk = async (name: string, u: TestUpstream, pool: string) =>
        call(`${t.url}/api/admin/backends`, {
          token: ADMIN_TOKEN,
          body: {
            name,
            base_url: u.url,
            api_key: `k-${name}-0123456789`,
            pool,
            rpm_limit: 1000,
            models: [
              {
                canonical: MODEL,
                native: `native/${name}`,
                input_cost_per_token: 0.000001,
                output_cost_per_token: 0.000002,
              },
            ],
          },
        });
      backendId = (await mk("main", up, "primary")).body.id;
      await mk("spare", fb, "fallback");
      key = (await call(`${t.url}/api/admin/agents`, { token: ADMIN_TOKEN, body: { name: "qa" } }))
        .body.key;
      client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0 });
    });
    after(async () => {
      await t.stop();
      await Promise.all([up.close(), fb.close()]);
    });

    it("answers every /v1 failure in OpenAI's error shape", async () => {
      const badJson = await post("/v1/chat/completions", '{"model": "x",');
      assertOpenAiError(await badJson.json(), 400, badJson.status);
      const notObject = await post("/v1/chat/completions", "[1,2]");
      assertOpenAiError(await notObject.json(), 400, notObject.status);
      const xml = await post("/v1/chat/completions", "<a/>", { "content-type": "application/xml" });
      assertOpenAiError(await xml.json(), 415, xml.status);
      const big = await post("/v1/embeddings", Buffer.alloc(33 * 1024 * 1024, 0x20));
      assertOpenAiError(await big.json(), 413, big.status);
      const noKey = await fetch(`${t.url}/v1/chat/completions`, { method: "POST" });
      assertOpenAiError(await noKey.json(), 401, noKey.status);
      const unknown = await fetch(`${t.url}/v1/assistants`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const unknownBody = (await unknown.json()) as { error: { message: string } };
      assertOpenAiError(unknownBody, 404, unknown.status);
      assert.equal(unknownBody.error.message, "Invalid URL (GET /v1/assistants)");
      const noModel = await post("/v1/chat/completions", "{}");
      const noModelBody = (await noModel.json()) as { error: { param: string } };
      assertOpenAiError(noModelBody, 400, noModel.status);
      assert.equal(noModelBody.error.param, "model");
    });

    it("puts x-request-id on every answer: the client's, or a generated one", async () => {
      const given = await fetch(`${t.url}/v1/models`, {
        headers: { authorization: `Bearer ${key}`, "x-request-id": "req-abc-123" },
      });
      assert.equal(given.headers.get("x-request-id"), "req-abc-123");
      const refused = await fetch(`${t.url}/v1/models`, { headers: { "x-request-id": "r-401" } });
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get("x-request-id"), "r-401");
      for (const path of ["/healthz", "/v1/nope", "/api/admin/backends"]) {
        const res = await fetch(`${t.url}${path}`);
        assert.match(res.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/, path);
      }
      const junk = await fetch(`${t.url}/healthz`, {
        headers: { "x-request-id": "x".repeat(500) },
      });
      assert.match(junk.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/, "too long: replaced");
    });

    it("retrieves one model, and names a missing one as OpenAI does", async () => {
      const m = await client.models.retrieve(MODEL);
      assert.equal(m.id, MODEL);
      assert.equal(m.object, "model");
      await assert.rejects(
        client.models.retrieve("gpt-unknown"),
        (err: unknown) => err instanceof OpenAI.NotFoundError && err.code === "model_not_found",
      );
    });

    it("adds stream_options.include_usage unless the backend's switch is off", async () => {
      const stream = async () => {
        const s = await client.chat.completions.create({
          model: MODEL,
          messages: [{ role: "user", content: "hi" }],
          stream: true,
        });
        for await (const _ of s) {
          /* drain */
        }
        return up.received.filter((r) => r.body?.stream === true).at(-1)?.body;
      };
      assert.deepEqual((await stream())?.stream_options, { include_usage: true });
      const patched = await call(`${t.url}/api/admin/backends/${backendId}`, {
        method: "PATCH",
        token: ADMIN_TOKEN,
        body: { inject_stream_usage: false },
      });
      assert.equal(patched.body.inject_stream_usage, false);
      const sent = await stream();
      assert.equal(sent?.stream_options, undefined, "the body goes upstream as the client sent it");
      await call(`${t.url}/api/admin/backends/${backendId}`, {
        method: "PATCH",
        token: ADMIN_TOKEN,
        body: { inject_stream_usage: true },
      });
    });

    it("exports tokens and cost by backend, model and agent, time to first token, failovers and the build", async () => {
      const before = await metrics();
      const count = (text: string, re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
      const durations =
        /^commandpost_proxy_request_duration_seconds_count\{backend="spare",model="llama-3\.3-70b"\} (\d+)$/m;
      const ttft =
        /^commandpost_proxy_time_to_first_token_seconds_count\{backend="spare",model="llama-3\.3-70b"\} (\d+)$/m;
      up.behave({ kind: "status", status: 502 });
      await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "hi" }],
      });
      const s = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "hi" }],
        stream: true,
      });
      for await (const _ of s) {
        /* drain */
      }
      up.behave({ kind: "ok" });
      const m = await metrics();
      assert.equal(count(m, durations) - count(before, durations), 2, "once per client request");
      assert.equal(count(m, ttft) - count(before, ttft), 1, "one stream");
      const failovers =
        /^commandpost_proxy_failovers_total\{backend="main",reason="server_error"\} (\d+)$/m;
      assert.equal(count(m, failovers) - count(before, failovers), 2);
      assert.match(
        m,
        /^commandpost_proxy_tokens_total\{backend="spare",model="llama-3\.3-70b",agent="qa",kind="prompt"\} \d+/m,
      );
      assert.match(
        m,
        /^commandpost_proxy_cost_usd_total\{backend="spare",model="llama-3\.3-70b",agent="qa"\} [0-9.e-]+$/m,
      );
      assert.match(
        m,
        /^commandpost_build_info\{version="0\.1\.0",revision="unknown",node="v20\.[0-9.]+"\} 1$/m,
      );
    });
  });
}

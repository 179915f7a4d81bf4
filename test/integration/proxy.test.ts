import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { backends } from "../../db/schema/index.ts";
import { ADMIN_TOKEN, call, startTestApp, type TestApp } from "../helpers/app.ts";
import { testDatabases } from "../helpers/db.ts";
import { startTestUpstream, type TestUpstream } from "../helpers/upstream.ts";

const backendBody = (upstream: TestUpstream, over: Record<string, unknown> = {}) => ({
  name: "nv-primary-1",
  base_url: upstream.url,
  api_key: "nvapi-test-secret-abcdefwxyz",
  pool: "primary",
  rpm_limit: 40,
  timeout_ms: 120000,
  enabled: true,
  models: [
    {
      canonical: "llama-3.3-70b",
      native: "meta/llama-3.3-70b-instruct",
      input_cost_per_token: 0.0000006,
      output_cost_per_token: 0.0000006,
    },
  ],
  ...over,
});

for (const kind of testDatabases()) {
  describe(`proxy path on ${kind.name}`, () => {
    let t: TestApp;
    let upstream: TestUpstream;
    let proxyKey: string;

    before(async () => {
      upstream = await startTestUpstream();
      t = await startTestApp(await kind.open());
    });
    after(async () => {
      await t.stop();
      await upstream.close();
    });

    it("adds a backend with its key encrypted at rest and masked in answers", async () => {
      const res = await call(`${t.url}/api/admin/backends`, {
        token: ADMIN_TOKEN,
        body: backendBody(upstream),
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.api_key, "nvapi-…wxyz");
      assert.equal(res.body.state, "healthy");
      assert.equal(res.body.pool, "primary");
      assert.equal(res.body.models[0].native, "meta/llama-3.3-70b-instruct");
      const [row] = await t.app.database.db.select().from(backends);
      assert.ok(row && !row.apiKeyEnc.includes("nvapi-test-secret"), "stored encrypted");
      const list = await call(`${t.url}/api/admin/backends`, { token: ADMIN_TOKEN });
      assert.ok(!JSON.stringify(list.body).includes("nvapi-test-secret"), "never echoed");
    });

    it("refuses admin calls without the admin token and bad bodies with the field named", async () => {
      assert.equal(
        (await call(`${t.url}/api/admin/backends`, { body: backendBody(upstream) })).status,
        401,
      );
      assert.equal((await call(`${t.url}/api/admin/backends`, { token: "nope" })).status, 401);
      const bad = await call(`${t.url}/api/admin/backends`, {
        token: ADMIN_TOKEN,
        body: backendBody(upstream, { name: "other", models: [{ canonical: "x" }] }),
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, "models.0.native");
      const badPool = await call(`${t.url}/api/admin/backends`, {
        token: ADMIN_TOKEN,
        body: backendBody(upstream, { name: "p", pool: "tertiary" }),
      });
      assert.equal(badPool.body.error.field, "pool");
      const dup = await call(`${t.url}/api/admin/backends`, {
        token: ADMIN_TOKEN,
        body: backendBody(upstream),
      });
      assert.equal(dup.status, 409);
      assert.equal(
        (await t.app.database.db.select().from(backends)).length,
        1,
        "nothing half-written",
      );
    });

    it("issues a proxy key once", async () => {
      const res = await call(`${t.url}/api/admin/agents`, {
        token: ADMIN_TOKEN,
        body: { name: "architect" },
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.name, "architect");
      assert.match(res.body.key, /^cp_[A-Za-z0-9_-]{32}$/);
      proxyKey = res.body.key;
      const list = await call(`${t.url}/api/admin/agents`, { token: ADMIN_TOKEN });
      assert.ok(!JSON.stringify(list.body).includes(proxyKey), "the key cannot be read back");
      assert.equal(
        (
          await call(`${t.url}/api/admin/agents`, {
            token: ADMIN_TOKEN,
            body: { name: "Bad Name" },
          })
        ).body.error.field,
        "name",
      );
    });

    it("serves a chat completion through the official openai client, rewriting the model", async () => {
      const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: proxyKey, maxRetries: 0 });
      const out = await client.chat.completions.create({
        model: "llama-3.3-70b",
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(out.choices[0]?.message.content, "hello from meta/llama-3.3-70b-instruct");
      const last = upstream.received.at(-1);
      assert.equal(last?.body?.model, "meta/llama-3.3-70b-instruct");
      assert.equal(
        last?.authorization,
        "Bearer nvapi-test-secret-abcdefwxyz",
        "the backend's key goes upstream",
      );
      assert.equal(last?.path, "/v1/chat/completions");
    });

    it("lists the canonical models", async () => {
      const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: proxyKey, maxRetries: 0 });
      const models = await client.models.list();
      assert.deepEqual(
        models.data.map((m) => m.id),
        ["llama-3.3-70b"],
      );
    });

    it("refuses a missing or wrong proxy key with 401", async () => {
      const wrong = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "cp_wrong", maxRetries: 0 });
      await assert.rejects(
        wrong.chat.completions.create({
          model: "llama-3.3-70b",
          messages: [{ role: "user", content: "hi" }],
        }),
        (err: unknown) => err instanceof OpenAI.AuthenticationError && err.status === 401,
      );
      const none = await call(`${t.url}/v1/chat/completions`, {
        body: { model: "llama-3.3-70b", messages: [] },
      });
      assert.equal(none.status, 401);
      assert.equal(none.body.error.code, "invalid_api_key");
    });

    it("answers 404 for a model no backend serves", async () => {
      const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: proxyKey, maxRetries: 0 });
      await assert.rejects(
        client.chat.completions.create({
          model: "gpt-unknown",
          messages: [{ role: "user", content: "hi" }],
        }),
        (err: unknown) => err instanceof OpenAI.NotFoundError,
      );
    });
  });
}

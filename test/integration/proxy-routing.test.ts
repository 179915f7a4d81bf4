import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import OpenAI from "openai";
import { cooldownEvents } from "../../db/schema/index.ts";
import { ADMIN_TOKEN, call, startTestApp, type TestApp } from "../helpers/app.ts";
import { type FakeClock, fakeClock } from "../helpers/clock.ts";
import { testDatabases } from "../helpers/db.ts";
import { startTestUpstream, type TestUpstream } from "../helpers/upstream.ts";

const MODEL = "llama-3.3-70b";
const backend = (
  name: string,
  up: TestUpstream,
  pool: string,
  over: Record<string, unknown> = {},
) => ({
  name,
  base_url: up.url,
  api_key: `key-of-${name}-0123456789`,
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
  ...over,
});
const ask = (c: OpenAI) =>
  c.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }] });

for (const kind of testDatabases()) {
  describe(`proxy routing on ${kind.name}`, () => {
    let t: TestApp;
    let a: TestUpstream;
    let b: TestUpstream;
    let fb: TestUpstream;
    let clock: FakeClock;
    let client: OpenAI;
    const ids: Record<string, string> = {};

    before(async () => {
      [a, b, fb] = await Promise.all([
        startTestUpstream(),
        startTestUpstream(),
        startTestUpstream(),
      ]);
      clock = fakeClock();
      // Immediate 503s here; waiting in the queue is tested in proxy-queue.test.ts.
      t = await startTestApp(await kind.open(), { PROXY_QUEUE_TIMEOUT_S: "0" }, { clock });
      for (const [name, up, pool] of [
        ["a", a, "primary"],
        ["b", b, "primary"],
        ["fb", fb, "fallback"],
      ] as const) {
        const res = await call(`${t.url}/api/admin/backends`, {
          token: ADMIN_TOKEN,
          body: backend(name, up, pool),
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        ids[name] = res.body.id;
      }
      const agent = await call(`${t.url}/api/admin/agents`, {
        token: ADMIN_TOKEN,
        body: { name: "architect" },
      });
      client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: agent.body.key, maxRetries: 0 });
    });
    after(async () => {
      await t.stop();
      await Promise.all([a.close(), b.close(), fb.close()]);
    });
    beforeEach(() => {
      for (const id of Object.values(ids)) t.app.proxyModule.runtime.cooldowns.clear(id, 0);
      for (const up of [a, b, fb]) up.behave({ kind: "ok" });
      clock.advance(60_000);
    });

    it("fails over from a 429 to the other primary and cools the first down", async () => {
      a.behave({ kind: "status", status: 429, headers: { "retry-after": "7" } });
      b.behave({ kind: "ok" });
      for (let i = 0; i < 4; i++) {
        const out = await ask(client);
        assert.equal(out.choices[0]?.message.content, "hello from native/b");
      }
      const cd = await call(`${t.url}/api/admin/cooldowns`, { token: ADMIN_TOKEN });
      assert.equal(cd.body.active.length, 1);
      assert.equal(cd.body.active[0].backend, "a");
      assert.equal(cd.body.active[0].seconds_left, 30, "max(Retry-After 7 s, base 30 s)");
      const a429 = a.received.filter((r) => r.path === "/v1/chat/completions").length;
      assert.equal(a429, 1, "a cooling backend gets no traffic");
      await new Promise((r) => setTimeout(r, 50));
      const rows = await t.app.database.db.select().from(cooldownEvents);
      assert.equal(rows.at(-1)?.backendName, "a");
      assert.equal(rows.at(-1)?.retryAfterS, 7);
    });

    it("puts a backend back in rotation when its cooldown expires", async () => {
      a.behave({ kind: "status", status: 429 });
      await ask(client);
      a.behave({ kind: "ok" });
      b.behave({ kind: "status", status: 503 });
      clock.advance(29_000);
      assert.equal(
        (await ask(client)).choices[0]?.message.content,
        "hello from native/fb",
        "a still cooling, b failing → fallback",
      );
      clock.advance(1_001);
      assert.equal((await ask(client)).choices[0]?.message.content, "hello from native/a");
    });

    it("answers 503 all_pools_exhausted with Retry-After when every backend cools", async () => {
      for (const up of [a, b, fb])
        up.behave({ kind: "status", status: 429, headers: { "retry-after": "45" } });
      const res = await call(`${t.url}/v1/chat/completions`, {
        token: client.apiKey ?? undefined,
        body: { model: MODEL, messages: [{ role: "user", content: "hi" }] },
      });
      assert.equal(res.status, 503);
      assert.equal(res.body.error.type, "all_pools_exhausted");
      assert.equal(res.headers.get("retry-after"), "45");
      const again = await call(`${t.url}/v1/chat/completions`, {
        token: client.apiKey ?? undefined,
        body: { model: MODEL, messages: [] },
      });
      assert.equal(again.status, 503, "still cooling: no upstream call at all");
      clock.advance(10_000);
      const later = await call(`${t.url}/v1/chat/completions`, {
        token: client.apiKey ?? undefined,
        body: { model: MODEL, messages: [] },
      });
      assert.equal(later.headers.get("retry-after"), "35", "soonest cooldown end");
    });

    it("passes a 400 straight back without trying another backend", async () => {
      const body = {
        error: { message: "messages: too long", type: "invalid_request_error", param: "messages" },
      };
      a.behave({ kind: "status", status: 400, body });
      b.behave({ kind: "status", status: 400, body });
      const before = b.received.length + a.received.length;
      const res = await call(`${t.url}/v1/chat/completions`, {
        token: client.apiKey ?? undefined,
        body: { model: MODEL, messages: [] },
      });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, body);
      assert.equal(b.received.length + a.received.length - before, 1, "one upstream call");
    });

    it("relays a stream chunk by chunk and accounts its usage and cost", async () => {
      const stream = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "hi" }],
        stream: true,
      });
      const parts: string[] = [];
      for await (const c of stream) parts.push(c.choices[0]?.delta.content ?? "");
      assert.match(parts.join(""), /^hello from native\/(a|b)$/);
      const streamed = [...a.received, ...b.received].filter((r) => r.body?.stream === true);
      assert.equal(streamed.length, 1);
      assert.deepEqual(
        streamed[0]?.body?.stream_options,
        { include_usage: true },
        "include_usage added",
      );
      const stats = await call(`${t.url}/api/admin/stats/total?group_by=agent`, {
        token: ADMIN_TOKEN,
      });
      assert.equal(stats.status, 200);
      const architect = stats.body.groups.find((g: { key: string }) => g.key === "architect");
      assert.ok(
        architect.prompt_tokens >= 11 && architect.completion_tokens >= 3,
        JSON.stringify(architect),
      );
      const hourly = await call(`${t.url}/api/admin/stats/hourly`, { token: ADMIN_TOKEN });
      assert.ok(hourly.body.hours.length >= 1);
      const before = stats.body.total;
      const s2 = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "x" }],
        stream: true,
      });
      for await (const _ of s2) {
        /* drain */
      }
      const after = (await call(`${t.url}/api/admin/stats/total`, { token: ADMIN_TOKEN })).body
        .total;
      assert.equal(after.prompt_tokens - before.prompt_tokens, 11);
      assert.equal(after.completion_tokens - before.completion_tokens, 3);
      assert.ok(Math.abs(after.cost_usd - before.cost_usd - (11 * 0.000001 + 3 * 0.000002)) < 1e-9);
    });

    it("ends a stream that fails upstream mid-way with an error the client sees", async () => {
      a.behave({ kind: "midstream_fail" });
      b.behave({ kind: "midstream_fail" });
      const stream = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "hi" }],
        stream: true,
      });
      const parts: string[] = [];
      await assert.rejects(async () => {
        for await (const c of stream) parts.push(c.choices[0]?.delta.content ?? "");
      }, /upstream stream failed/);
      assert.ok(parts.length > 0, "chunks before the failure were relayed");
    });

    it("serves embeddings", async () => {
      const out = await client.embeddings.create({ model: MODEL, input: "hello" });
      assert.deepEqual(
        out.data[0]?.embedding.map((x) => Math.round(x * 10) / 10),
        [0.1, 0.2, 0.3],
      );
    });

    it("respects a backend's RPM limit by moving to the next backend", async () => {
      await call(`${t.url}/api/admin/backends/${ids.a}`, {
        method: "PATCH",
        token: ADMIN_TOKEN,
        body: { rpm_limit: 1 },
      });
      await call(`${t.url}/api/admin/backends/${ids.b}`, {
        method: "PATCH",
        token: ADMIN_TOKEN,
        body: { rpm_limit: 1 },
      });
      const answers = new Set<string>();
      for (let i = 0; i < 3; i++)
        answers.add((await ask(client)).choices[0]?.message.content ?? "");
      assert.ok(
        answers.has("hello from native/fb"),
        `the third request within the minute goes to fallback: ${[...answers]}`,
      );
    });
  });
}

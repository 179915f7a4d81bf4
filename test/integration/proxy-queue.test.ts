import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { ADMIN_TOKEN, call, startTestApp } from "../helpers/app.ts";
import { testDatabases } from "../helpers/db.ts";
import { startTestUpstream, type TestUpstream } from "../helpers/upstream.ts";

const MODEL = "llama-3.3-70b";
const backend = (name: string, up: TestUpstream) => ({
  name,
  base_url: up.url,
  api_key: `key-of-${name}-0123456789`,
  pool: "primary",
  rpm_limit: 1000,
  models: [{ canonical: MODEL, native: `native/${name}` }],
});
const RATE_LIMITED = {
  kind: "status",
  status: 429,
  headers: { "retry-after": "60" },
} as const;

async function until(what: string, pred: () => boolean | Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A proxy with one backend whose upstream the test controls, and an agent's client. */
async function setUp(kind: ReturnType<typeof testDatabases>[number], env: Record<string, string>) {
  const up = await startTestUpstream();
  const t = await startTestApp(await kind.open(), env);
  const res = await call(`${t.url}/api/admin/backends`, {
    token: ADMIN_TOKEN,
    body: backend("solo", up),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const agent = await call(`${t.url}/api/admin/agents`, {
    token: ADMIN_TOKEN,
    body: { name: "coder" },
  });
  const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: agent.body.key, maxRetries: 0 });
  const metrics = async () => (await fetch(`${t.url}/metrics`)).text();
  return { up, t, client, backendId: res.body.id as string, key: agent.body.key, metrics };
}

const ask = (c: OpenAI) =>
  c.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }] });

for (const kind of testDatabases()) {
  describe(`proxy wait queue on ${kind.name}`, () => {
    let s: Awaited<ReturnType<typeof setUp>>;
    const queued = () => s.t.app.proxyModule.queue.size;
    before(async () => {
      s = await setUp(kind, { PROXY_QUEUE_MAX: "3", PROXY_QUEUE_TIMEOUT_S: "20" });
    });
    after(async () => {
      await s.t.stop();
      await s.up.close();
    });

    it("holds three requests while the only backend cools and serves them within a second of the cooldown being cleared", async () => {
      s.up.behave(RATE_LIMITED);
      const served: number[] = [];
      const timed = <T>(p: Promise<T>) =>
        p.then((r) => {
          served.push(Date.now());
          return r;
        });
      const first = timed(ask(s.client));
      await until("the 429'd request to wait", () => queued() === 1);
      s.up.behave({ kind: "ok" });
      const more = [timed(ask(s.client)), timed(ask(s.client))];
      await until("three waiting", () => queued() === 3);
      assert.match(await s.metrics(), /^commandpost_proxy_queue_depth 3$/m);

      const full = await call(`${s.t.url}/v1/chat/completions`, {
        token: s.key,
        body: { model: MODEL, messages: [] },
      });
      assert.equal(full.status, 503, "a fourth request finds the queue full");
      assert.equal(full.body.error.type, "all_pools_exhausted");
      assert.match(full.body.error.message, /queue_full/);
      assert.ok(Number(full.headers.get("retry-after")) >= 50, "Retry-After = cooldown end");
      const chatCalls = s.up.received.filter((r) => r.path === "/v1/chat/completions").length;

      const cleared = Date.now();
      const res = await call(`${s.t.url}/api/admin/cooldowns/${s.backendId}`, {
        method: "DELETE",
        token: ADMIN_TOKEN,
      });
      assert.equal(res.body.cleared, true);
      const answers = await Promise.all([first, ...more]);
      for (const a of answers)
        assert.equal(a.choices[0]?.message.content, "hello from native/solo");
      for (const at of served) assert.ok(at - cleared < 1000, `served ${at - cleared} ms after`);
      assert.equal(
        s.up.received.filter((r) => r.path === "/v1/chat/completions").length - chatCalls,
        3,
        "each waiting request went upstream once",
      );
      const m = await s.metrics();
      assert.match(m, /^commandpost_proxy_queue_depth 0$/m);
      assert.match(m, /^commandpost_proxy_queue_wait_seconds_count\{outcome="acquired"\} 3$/m);
      assert.match(m, /^commandpost_proxy_503_total\{reason="queue_full"\} 1$/m);
      assert.match(m, /^commandpost_proxy_cooldowns_started_total\{backend="solo"\} 1$/m);
      assert.match(
        m,
        /^commandpost_proxy_failovers_total\{backend="solo",reason="rate_limited"\} 1$/m,
      );
      assert.match(
        m,
        /^commandpost_proxy_request_duration_seconds_count\{backend="solo",model="llama-3.3-70b"\} 3$/m,
        "latency observed once per client request, not per attempt",
      );
    });

    it("lets a client that disconnects leave the queue", async () => {
      s.up.behave(RATE_LIMITED);
      await call(`${s.t.url}/api/admin/cooldowns/${s.backendId}`, {
        method: "DELETE",
        token: ADMIN_TOKEN,
      });
      const abort = new AbortController();
      const gone = fetch(`${s.t.url}/v1/chat/completions`, {
        method: "POST",
        signal: abort.signal,
        headers: { authorization: `Bearer ${s.key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: MODEL, messages: [] }),
      }).catch((e: unknown) => e);
      await until("it to wait", () => queued() === 1);
      abort.abort();
      await gone;
      await until("it to leave", () => queued() === 0);
      assert.match(
        await s.metrics(),
        /commandpost_proxy_queue_wait_seconds_count\{outcome="aborted"\} 1/,
      );
    });

    it("holds a request that finds the backend out of RPM tokens until one refills", async () => {
      s.up.behave({ kind: "ok" });
      await call(`${s.t.url}/api/admin/cooldowns/${s.backendId}`, {
        method: "DELETE",
        token: ADMIN_TOKEN,
      });
      const patched = await call(`${s.t.url}/api/admin/backends/${s.backendId}`, {
        method: "PATCH",
        token: ADMIN_TOKEN,
        body: { rpm_limit: 60 },
      });
      assert.equal(patched.status, 200);
      // A full bucket holds 60 tokens and refills one per second: of 63 requests sent at
      // once, the last ones wait for tokens instead of getting a 503.
      const acquired = async () =>
        Number(
          /^commandpost_proxy_queue_wait_seconds_count\{outcome="acquired"\} (\d+)$/m.exec(
            await s.metrics(),
          )?.[1] ?? 0,
        );
      const before = await acquired();
      const answers = await Promise.all(Array.from({ length: 63 }, () => ask(s.client)));
      for (const a of answers)
        assert.equal(a.choices[0]?.message.content, "hello from native/solo");
      assert.ok((await acquired()) - before >= 2, "some waited for a refill");
      await call(`${s.t.url}/api/admin/backends/${s.backendId}`, {
        method: "PATCH",
        token: ADMIN_TOKEN,
        body: { rpm_limit: 1000 },
      });
    });

    it("serves a waiting request at once from a backend added meanwhile", async () => {
      s.up.behave(RATE_LIMITED);
      const waiting = ask(s.client);
      await until("it to wait", () => queued() === 1);
      const helper = await startTestUpstream();
      try {
        const added = Date.now();
        const res = await call(`${s.t.url}/api/admin/backends`, {
          token: ADMIN_TOKEN,
          body: backend("helper", helper),
        });
        assert.equal(res.status, 201);
        const out = await waiting;
        assert.equal(out.choices[0]?.message.content, "hello from native/helper");
        assert.ok(Date.now() - added < 1000);
        await call(`${s.t.url}/api/admin/backends/${res.body.id}`, {
          method: "DELETE",
          token: ADMIN_TOKEN,
        });
      } finally {
        await helper.close();
      }
    });
  });

  describe(`proxy wait queue timeout on ${kind.name}`, () => {
    let s: Awaited<ReturnType<typeof setUp>>;
    before(async () => {
      s = await setUp(kind, { PROXY_QUEUE_TIMEOUT_S: "1" });
    });
    after(async () => {
      await s.t.stop();
      await s.up.close();
    });

    it("answers 503 all_pools_exhausted with Retry-After after PROXY_QUEUE_TIMEOUT_S", async () => {
      s.up.behave(RATE_LIMITED);
      const started = Date.now();
      const err = await ask(s.client).catch((e: unknown) => e);
      const waited = Date.now() - started;
      assert.ok(err instanceof OpenAI.APIError && err.status === 503, String(err));
      assert.equal(err.type, "all_pools_exhausted");
      assert.ok(Number(err.headers?.get("retry-after")) >= 50, "the cooldown's end");
      assert.ok(waited >= 1000 && waited < 5000, `waited ${waited} ms`);
      const m = await s.metrics();
      assert.match(m, /^commandpost_proxy_503_total\{reason="queue_timeout"\} 1$/m);
      assert.match(m, /^commandpost_proxy_queue_wait_seconds_count\{outcome="timeout"\} 1$/m);
    });
  });
}

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { ADMIN_TOKEN, call, startTestApp, type TestApp } from "../helpers/app.ts";
import { testDatabases } from "../helpers/db.ts";
import { startTestUpstream, type TestUpstream } from "../helpers/upstream.ts";

const MODEL = "llama-3.3-70b";

/** One raw exchange: `bytes` written on a fresh connection, what came back until it closed or `ms`. */
function raw(port: number, bytes: string, ms = 1500): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let text = "";
    let closed = false;
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      text += d;
    });
    socket.on("error", () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed });
    }, ms);
    socket.on("close", () => {
      closed = true;
      clearTimeout(timer);
      resolve({ text, closed });
    });
    socket.write(bytes);
  });
}

/** An upstream that never answers and tells when a request it holds was closed by the proxy. */
async function startHangingUpstream() {
  let received = 0;
  let closed = 0;
  const server: Server = createServer((req) => {
    received++;
    req.resume();
    req.socket.once("close", () => closed++);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    received: () => received,
    closed: () => closed,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function until(what: string, pred: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const kind of testDatabases()) {
  describe(`the /v1 handler ahead of Fastify on ${kind.name}`, () => {
    let t: TestApp;
    let up: TestUpstream;
    let hanging: Awaited<ReturnType<typeof startHangingUpstream>>;
    let key: string;
    const head = (extra = "") =>
      `host: 127.0.0.1\r\nauthorization: Bearer ${key}\r\nx-request-id: rid-7\r\n${extra}`;

    before(async () => {
      [up, hanging] = await Promise.all([startTestUpstream(), startHangingUpstream()]);
      t = await startTestApp(await kind.open());
      const backend = (name: string, baseUrl: string, canonical: string) =>
        call(`${t.url}/api/admin/backends`, {
          token: ADMIN_TOKEN,
          body: {
            name,
            base_url: baseUrl,
            api_key: "sk-test-0123456789",
            pool: "primary",
            models: [{ canonical, native: "native-model" }],
          },
        });
      assert.equal((await backend("ok", up.url, MODEL)).status, 201);
      assert.equal((await backend("hanging", hanging.url, "hang-model")).status, 201);
      key = (await call(`${t.url}/api/admin/agents`, { token: ADMIN_TOKEN, body: { name: "v1" } }))
        .body.key;
    });
    after(async () => {
      await t.stop();
      await Promise.all([up.close(), hanging.close()]);
    });

    it("closes the connection after a body it refused part-read, keeps it after one it never read", async () => {
      const bad = '{"model":';
      const badJson = await raw(
        t.port,
        `POST /v1/chat/completions HTTP/1.1\r\n${head()}content-type: application/json\r\ncontent-length: ${bad.length}\r\n\r\n${bad}`,
      );
      assert.match(badJson.text, /^HTTP\/1\.1 400 /);
      assert.match(badJson.text, /\r\nconnection: close\r\n/i);
      assert.match(badJson.text, /"code":"invalid_json"/);
      assert.ok(badJson.closed);
      const xml = await raw(
        t.port,
        `POST /v1/chat/completions HTTP/1.1\r\n${head()}content-type: application/xml\r\ncontent-length: 4\r\n\r\n<a/>`,
        400,
      );
      assert.match(xml.text, /^HTTP\/1\.1 415 /);
      assert.match(xml.text, /\r\nconnection: keep-alive\r\n/i);
      assert.match(xml.text, /\r\nx-request-id: rid-7\r\n/i);
      assert.equal(xml.closed, false);
      const huge = await raw(
        t.port,
        `POST /v1/chat/completions HTTP/1.1\r\n${head()}content-type: application/json\r\ncontent-length: ${40 * 1024 * 1024}\r\n\r\n{`,
      );
      assert.match(huge.text, /^HTTP\/1\.1 413 /, "refused on its Content-Length, unread");
      assert.ok(huge.closed);
    });

    it("answers HEAD like GET, without a body", async () => {
      const res = await raw(t.port, `HEAD /v1/models HTTP/1.1\r\n${head()}\r\n`, 400);
      const [headers, body] = res.text.split("\r\n\r\n");
      assert.match(headers ?? "", /^HTTP\/1\.1 200 /);
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(headers ?? "")?.[1]);
      assert.ok(length > 0, "the GET answer's length");
      assert.equal(body, "");
    });

    it("answers a path that does not percent-decode with OpenAI's 400 and the request id", async () => {
      const res = await raw(t.port, `GET /v1/models/%ED%A0%80 HTTP/1.1\r\n${head()}\r\n`, 400);
      assert.match(res.text, /^HTTP\/1\.1 400 /);
      assert.match(res.text, /\r\nx-request-id: rid-7\r\n/i);
      assert.match(res.text, /"type":"invalid_request_error"/);
    });

    it("takes response ids up to 256 characters", async () => {
      const get = (id: string) =>
        fetch(`${t.url}/v1/responses/${id}`, { headers: { authorization: `Bearer ${key}` } });
      const long = await get("r".repeat(150));
      assert.notEqual(long.status, 400, "forwarded");
      const tooLong = await get("r".repeat(257));
      assert.equal(tooLong.status, 400);
      assert.equal(
        ((await tooLong.json()) as { error: { param: string } }).error.param,
        "response_id",
      );
    });

    it("refuses a revoked key at once, though it was verified before", async () => {
      const agent = await call(`${t.url}/api/admin/agents`, {
        token: ADMIN_TOKEN,
        body: { name: "soon-revoked" },
      });
      const models = () =>
        fetch(`${t.url}/v1/models`, { headers: { authorization: `Bearer ${agent.body.key}` } });
      assert.equal((await models()).status, 200);
      assert.equal((await models()).status, 200);
      const revoked = await call(`${t.url}/api/admin/agents/${agent.body.id}`, {
        method: "DELETE",
        token: ADMIN_TOKEN,
      });
      assert.equal(revoked.status, 200);
      assert.equal((await models()).status, 401);
    });

    it("cancels the upstream call when the client goes away", async () => {
      const abort = new AbortController();
      const gone = fetch(`${t.url}/v1/chat/completions`, {
        method: "POST",
        signal: abort.signal,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "hang-model", messages: [] }),
      }).catch((e: unknown) => e);
      await until("the upstream to hold the call", () => hanging.received() === 1);
      abort.abort();
      await gone;
      await until("the upstream call to be closed", () => hanging.closed() === 1);
    });

    // Last: it stops the app.
    it("answers 503 with Connection: close to a request that arrives while the server closes", async () => {
      up.behave({ kind: "slow_stream", everyMs: 100 });
      const body = JSON.stringify({ model: MODEL, stream: true, max_tokens: 6, messages: [] });
      const socket = connect({ port: t.port, host: "127.0.0.1" });
      let text = "";
      socket.setEncoding("latin1");
      socket.on("data", (d: string) => {
        text += d;
      });
      const closed = new Promise<void>((r) => socket.once("close", () => r()));
      const post = `POST /v1/chat/completions HTTP/1.1\r\n${head()}content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
      socket.write(post);
      await until("the stream to start", () => text.includes("data:"));
      const stopping = t.app.stop();
      await until("the server to close", () => t.app.http.closing());
      // Pipelined on the busy connection (an idle one would just be closed).
      socket.write(`GET /v1/models HTTP/1.1\r\n${head()}\r\n`);
      await closed;
      await stopping;
      const answers = text.split(/(?=HTTP\/1\.1 )/);
      assert.match(answers[0] ?? "", /^HTTP\/1\.1 200 /);
      assert.match(answers[0] ?? "", /data: \[DONE\]/, "the stream in flight finished");
      assert.match(answers[1] ?? "", /^HTTP\/1\.1 503 /);
      assert.match(answers[1] ?? "", /\r\nconnection: close\r\n/i);
      assert.match(answers[1] ?? "", /"statusCode":503/);
    });
  });
}

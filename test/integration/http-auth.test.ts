import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { ADMIN_TOKEN, call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { testDatabases } from "../helpers/db.ts";
import { capturingLogger } from "../helpers/logger.ts";

const WRONG = "wrong-token-but-long-enough-0000";

/**
 * Sends headers announcing a `size`-byte body and only its first 64 KiB, then waits for
 * the answer: it can only come before the body is complete if the server refused without
 * reading it.
 */
function refusedBeforeBody(
  url: string,
  size: number,
  token: string,
): Promise<{ status: number; connection: string | undefined; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "content-length": String(size),
      },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error("no answer before the body was sent: the server waited for it"));
    }, 5000);
    req.on("response", (res) => {
      clearTimeout(timer);
      resolve({
        status: res.statusCode ?? 0,
        connection: res.headers.connection,
        ms: Date.now() - t0,
      });
      res.resume();
      req.destroy();
    });
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.write(`{"model":"m","messages":[{"role":"user","content":"${"a".repeat(64 * 1024)}`);
  });
}

for (const kind of testDatabases()) {
  describe(`authentication before the body, logged and slowed per client on ${kind.name}`, () => {
    let t: TestApp;
    const { logger, lines, entries: logs } = capturingLogger();

    before(async () => {
      t = await startTestApp(await kind.open(), {}, { logger });
    });
    after(() => t.stop());

    for (const [path, what] of [
      ["/v1/chat/completions", "proxy"],
      ["/api/admin/backends", "admin"],
      ["/webhooks/alertmanager", "ingest"],
    ] as const) {
      it(`refuses an unauthenticated 31 MB body on ${path} (${what}) with 401 without reading it`, async () => {
        const r = await refusedBeforeBody(`${t.url}${path}`, 31 * 1024 * 1024, WRONG);
        assert.equal(r.status, 401);
        assert.equal(r.connection, "close", "the connection closes instead of draining the body");
      });
    }

    it("logs each failure with scope, client and route, never the token", () => {
      const failures = logs().filter((e) => e.msg === "authentication failed");
      assert.deepEqual(
        failures.map((e) => [e.scope, e.route, e.reason, e.ip]),
        [
          ["proxy", "/v1/chat/completions", "wrong", "127.0.0.1"],
          ["admin", "/api/admin/backends", "wrong", "127.0.0.1"],
          ["ingest", "/webhooks/alertmanager", "wrong", "127.0.0.1"],
        ],
      );
      assert.ok(!lines.join("\n").includes(WRONG), "the token is not in the log");
    });

    it("holds a client after 10 failures a minute: 429 with Retry-After, even for the right token", async () => {
      // 3 failures above; 7 more reach the limit.
      for (let i = 0; i < 7; i++) {
        const r = await call(`${t.url}/api/admin/backends`, { token: WRONG });
        assert.equal(r.status, 401);
      }
      const held = await call(`${t.url}/api/admin/backends`, { token: ADMIN_TOKEN });
      assert.equal(held.status, 429);
      const retry = Number(held.headers.get("retry-after"));
      assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
      assert.match(held.body.error.message, /too many failed authentications/);
      const proxy = await call(`${t.url}/v1/models`, { token: "cp_whatever" });
      assert.equal(proxy.status, 429);
      assert.equal(proxy.body.error.type, "rate_limit_error");
      assert.equal(logs().filter((e) => String(e.msg).endsWith("held")).length, 1);
      const ingest = await call(`${t.url}/api/events`, { token: INGEST_TOKEN, body: {} });
      assert.equal(ingest.status, 429, "held on every authenticated surface");
    });
  });
}

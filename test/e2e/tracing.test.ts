import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { ADMIN_TOKEN, call, ENCRYPTION_KEY } from "../helpers/app.ts";
import { freePort } from "../helpers/telegram.ts";
import { startTestUpstream, type TestUpstream } from "../helpers/upstream.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const SRC = new URL("../../src/", import.meta.url).pathname;

/** One exported span, flattened from OTLP/JSON. */
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number>;
}

/**
 * A local OTLP/HTTP receiver: accepts `POST /v1/traces` (JSON, as
 * @opentelemetry/exporter-trace-otlp-http sends it) and keeps the spans.
 */
async function startOtlpReceiver() {
  const spans: Span[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url === "/v1/traces") {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      for (const rs of body.resourceSpans ?? [])
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? []) {
            const attributes: Record<string, string | number> = {};
            for (const a of s.attributes ?? [])
              attributes[a.key] =
                a.value.stringValue ?? Number(a.value.intValue ?? a.value.doubleValue);
            spans.push({ ...s, attributes });
          }
    }
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function until<T>(what: string, get: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("tracing with OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let up: TestUpstream;
  let url: string;
  let stdout = "";
  let child: ReturnType<typeof spawn>;
  let exited: Promise<number | null>;
  const dataDir = mkdtempSync(join(tmpdir(), "cp-trace-"));

  before(async () => {
    [otlp, up] = await Promise.all([startOtlpReceiver(), startTestUpstream()]);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ["--import", "tsx", MAIN], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        PORT: String(port),
        DATA_DIR: dataDir,
        ADMIN_TOKEN,
        ENCRYPTION_KEY,
        LOG_LEVEL: "debug",
        SCHEDULER_ENABLED: "false",
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_BSP_SCHEDULE_DELAY: "100",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d) => {
      stdout += d;
    });
    exited = new Promise((r) => child.once("exit", (code) => r(code)));
    await until(
      "the process to answer",
      () => (stdout.includes("commandpost listening") ? true : undefined),
      60_000,
    );
  });
  after(async () => {
    child.kill("SIGKILL");
    await Promise.all([otlp.close(), up.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("traces the HTTP request, the proxy attempt with GenAI attributes, the upstream call and database work, and logs the trace id", async () => {
    const created = await call(`${url}/api/admin/backends`, {
      token: ADMIN_TOKEN,
      body: {
        name: "traced",
        base_url: up.url,
        api_key: "sk-traced-0123456789",
        pool: "primary",
        models: [{ canonical: "llama-3.3-70b", native: "meta/llama-3.3-70b-instruct" }],
      },
    });
    assert.equal(created.status, 201);
    const agent = await call(`${url}/api/admin/agents`, {
      token: ADMIN_TOKEN,
      body: { name: "tracer" },
    });
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: agent.body.key, maxRetries: 0 });
    await client.chat.completions.create(
      { model: "llama-3.3-70b", messages: [{ role: "user", content: "hi" }] },
      { headers: { "x-request-id": "trace-test-1" } },
    );

    const proxySpan = await until("the proxy span", () =>
      otlp.spans.find((s) => s.attributes["gen_ai.operation.name"] === "chat"),
    );
    assert.equal(proxySpan.name, "chat meta/llama-3.3-70b-instruct");
    assert.equal(proxySpan.kind, 3, "CLIENT");
    assert.equal(proxySpan.attributes["gen_ai.request.model"], "meta/llama-3.3-70b-instruct");
    assert.equal(proxySpan.attributes["commandpost.model"], "llama-3.3-70b");
    assert.equal(proxySpan.attributes["gen_ai.usage.input_tokens"], 9);
    assert.equal(proxySpan.attributes["gen_ai.usage.output_tokens"], 4);
    const trace = proxySpan.traceId;
    const inTrace = () => otlp.spans.filter((s) => s.traceId === trace);
    const server = await until("the HTTP server span", () =>
      inTrace().find(
        (s) =>
          s.kind === 2 &&
          String(s.attributes["url.path"] ?? s.attributes["http.target"] ?? "").includes(
            "/v1/chat/completions",
          ),
      ),
    );
    assert.ok(server);
    const upstreamCall = await until("the undici span", () =>
      inTrace().find((s) => s.kind === 3 && s.parentSpanId === proxySpan.spanId),
    );
    assert.match(String(upstreamCall.attributes["url.full"]), /\/v1\/chat\/completions$/);
    const sent = up.received.find((r) => r.path === "/v1/chat/completions");
    assert.match(
      String(sent?.headers.traceparent),
      new RegExp(`^00-${trace}-`),
      "context propagated upstream",
    );

    const insert = await until("a database span", () =>
      otlp.spans.find(
        (s) => s.attributes["db.system.name"] === "postgresql" && s.name === "INSERT",
      ),
    );
    assert.match(String(insert.attributes["db.query.text"]), /^insert into "backends"/i);
    assert.ok(!String(insert.attributes["db.query.text"]).includes("sk-traced"), "values stay out");

    const line = stdout
      .split("\n")
      .find((l) => l.includes('"request_id":"trace-test-1"') && l.includes("proxy request served"));
    assert.ok(line, "the request's log line names it");
    assert.match(line, new RegExp(`"trace_id":"${trace}"`));

    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  });

  it("loads no OpenTelemetry code unless tracing is on", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith(".ts") && !p.startsWith(join(SRC, "tracing"))) {
          const text = readFileSync(p, "utf8");
          if (
            /from "@opentelemetry|from "@fastify\/otel|^import .*tracing\/(?!tracing-types)/m.test(
              text,
            )
          )
            offenders.push(p);
        }
      }
    };
    walk(SRC);
    assert.deepEqual(
      offenders,
      [],
      "only src/tracing imports OpenTelemetry, and only main.ts loads it, lazily",
    );
    assert.match(
      readFileSync(join(SRC, "main.ts"), "utf8"),
      /await import\("\.\/tracing\/tracing\.ts"\)/,
    );
  });
});

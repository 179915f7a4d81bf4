import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "drizzle-orm";
import { ADMIN_TOKEN, call, INGEST_TOKEN, startTestApp, type TestApp } from "../helpers/app.ts";
import { testDatabases } from "../helpers/db.ts";

/** Real Postgres when TEST_DATABASE_URL is set, else PGlite. */
const kind = testDatabases().at(-1) as ReturnType<typeof testDatabases>[number];

/** One malformed request body (raw bytes as sent) and what it tries. */
interface Case {
  name: string;
  body: string;
  contentType?: string;
}

const deep = (n: number, open: string, close: string, leaf = "1") =>
  open.repeat(n) + leaf + close.repeat(n);

/** Bodies every route with a body gets; `\\u0000` and `\\ud800` stay JSON escapes. */
const BODY_CASES: Case[] = [
  { name: "malformed JSON", body: '{"name": "x",' },
  { name: "not JSON at all", body: "hello" },
  { name: "empty object", body: "{}" },
  { name: "array", body: "[1,2,3]" },
  { name: "string", body: '"text"' },
  { name: "number", body: "42" },
  { name: "null", body: "null" },
  {
    name: "wrong types",
    body: JSON.stringify({
      name: 123,
      pool: [],
      base_url: {},
      models: "x",
      agent: false,
      model: 7,
      messages: "hi",
      status: 1,
      alerts: "none",
      rpm_limit: "many",
    }),
  },
  { name: "huge body (over 1 MB)", body: JSON.stringify({ x: "a".repeat(1_100_000) }) },
  { name: "10,000-level nested arrays", body: deep(10_000, "[", "]") },
  { name: "10,000-level nested objects", body: deep(10_000, '{"a":', "}") },
  {
    name: "NUL in strings",
    body: '{"name":"a\\u0000b","instance":"a\\u0000b","model":"a\\u0000b"}',
  },
  {
    name: "unpaired surrogate",
    body: '{"name":"a\\ud800b","instance":"a\\udc00","model":"\\ud800"}',
  },
  { name: "__proto__ key", body: '{"__proto__":{"admin":true},"name":"x"}' },
  { name: "constructor key", body: '{"constructor":{"prototype":{"admin":true}},"name":"x"}' },
  {
    name: "alertmanager shape with wrong types",
    body: JSON.stringify({ version: 4, status: "firing", alerts: [{ labels: "x" }] }),
  },
  {
    name: "chat completion shape, deep messages",
    body: `{"model":"m","messages":${deep(10_000, "[", "]", "{}")}}`,
  },
];

/** Query strings every GET route gets. */
const QUERY_CASES = ["?limit=abc", "?limit=-1&status=%00", "?x=%ED%A0%80", "?__proto__[a]=1"];

/** Concrete path for a route pattern: params and wildcards get a hostile-looking value. */
const pathOf = (url: string, value: string) =>
  url.replace(/:[A-Za-z_]+/g, value).replace(/\*$/, value);

describe(`HTTP fuzz on ${kind.name}: every route, hostile input → 4xx, never 5xx, nothing written`, () => {
  let t: TestApp;
  let agentKey: string;
  let tables: string[];

  const countRows = async (): Promise<Record<string, number>> => {
    const q = tables
      .map((n) => `select '${n}' as t, count(*)::int as n from "${n}"`)
      .join(" union all ");
    const res = (await t.app.database.db.execute(sql.raw(q))) as unknown as
      | { rows: { t: string; n: number }[] }
      | { t: string; n: number }[];
    const rows = Array.isArray(res) ? res : res.rows;
    return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
  };

  before(async () => {
    t = await startTestApp(await kind.open());
    const agent = await call(`${t.url}/api/admin/agents`, {
      token: ADMIN_TOKEN,
      body: { name: "fuzzer" },
    });
    agentKey = agent.body.key;
    const res = (await t.app.database.db.execute(
      sql.raw(
        "select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1",
      ),
    )) as unknown as { rows: { name: string }[] } | { name: string }[];
    // change_versions is the replicas' change-feed counter, bumped by statement-level
    // triggers even when a statement changed no row (a DELETE of an unknown id): a signal to
    // refresh caches, not data.
    tables = (Array.isArray(res) ? res : res.rows)
      .map((r) => r.name)
      .filter((n) => n !== "change_versions");
  });
  after(() => t.stop());

  it("answers 4xx to every malformed request and writes no row after one", async () => {
    const routes = t.app.http.routeList.filter(
      (r) => r.method !== "HEAD" && r.method !== "OPTIONS",
    );
    assert.ok(routes.length > 30, `routes enumerated from Fastify (${routes.length})`);
    const tokenFor = (url: string) =>
      url.startsWith("/v1")
        ? agentKey
        : url.startsWith("/api/admin") || url.startsWith("/api/app") || url.startsWith("/app")
          ? ADMIN_TOKEN
          : INGEST_TOKEN;
    const counts = { cases: 0, c2xx: 0, c3xx: 0, c4xx: 0, c5xx: 0, writtenAfter4xx: 0 };
    const failures: string[] = [];
    for (const route of routes) {
      const requests: { path: string; body?: Case }[] = [];
      if (route.method === "GET" || route.method === "DELETE") {
        for (const q of QUERY_CASES) requests.push({ path: pathOf(route.url, "x%00y") + q });
        requests.push({ path: pathOf(route.url, "%ED%A0%80") });
      }
      if (route.method !== "GET") {
        for (const c of BODY_CASES) requests.push({ path: pathOf(route.url, "fuzz"), body: c });
      }
      for (const r of requests) {
        const before = await countRows();
        const res = await fetch(`${t.url}${r.path}`, {
          method: route.method,
          headers: {
            authorization: `Bearer ${tokenFor(route.url)}`,
            ...(r.body && { "content-type": r.body.contentType ?? "application/json" }),
          },
          body: r.body?.body,
        });
        const text = await res.text();
        counts.cases++;
        const what = `${route.method} ${r.path.slice(0, 80)} ${r.body?.name ?? ""} → ${res.status}`;
        if (res.status >= 500) {
          counts.c5xx++;
          failures.push(`${what}: ${text.slice(0, 200)}`);
        } else if (res.status >= 400) {
          counts.c4xx++;
          const afterCounts = await countRows();
          const changed = tables.filter((n) => afterCounts[n] !== before[n]);
          if (changed.length > 0) {
            counts.writtenAfter4xx++;
            failures.push(`${what}: rows written in ${changed.join(", ")}`);
          }
        } else if (res.status >= 300) counts.c3xx++;
        else counts.c2xx++;
      }
    }
    console.log(
      `fuzz-http: ${routes.length} routes, ${counts.cases} cases, ${counts.c4xx} 4xx, ${counts.c5xx} 5xx, ${counts.c2xx} 2xx, ${counts.c3xx} 3xx, ${counts.writtenAfter4xx} rows written after 4xx`,
    );
    assert.deepEqual(failures, []);
    assert.equal(counts.c5xx, 0);
  });

  it("stores the good alerts of an Alertmanager group with a NUL in one (sanitised)", async () => {
    const res = await fetch(`${t.url}/webhooks/alertmanager`, {
      method: "POST",
      headers: { authorization: `Bearer ${INGEST_TOKEN}`, "content-type": "application/json" },
      body: `{"version":"4","groupKey":"g","status":"firing","receiver":"r","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","alerts":[{"status":"firing","labels":{"alertname":"Fuzz","instance":"a\\u0000b\\ud800"},"annotations":{},"startsAt":"2026-11-23T00:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"f1"},{"status":"firing","labels":{"alertname":"Fuzz","instance":"good"},"annotations":{},"startsAt":"2026-11-23T00:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"f2"}]}`,
    });
    assert.equal(res.status, 200, await res.text());
  });

  it("answers a 10,000-level nested /v1 body with OpenAI's 400, not a backend error", async () => {
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${agentKey}`, "content-type": "application/json" },
      body: `{"model":"m","messages":[{"role":"user","content":${deep(10_000, "[", "]")}}]}`,
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { type: string; message: string } };
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(body.error.message, /nested deeper/);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inspectInput, jsonTextMayHoldHostile } from "../../src/http/hostile-input.ts";
import { parseQuery } from "../../src/http/v1/query.ts";
import { mediaTypeOf, parseJson } from "../../src/http/v1/request-body.ts";
import { BAD_URL, matchV1 } from "../../src/http/v1/v1-routes.ts";

const routeOf = (method: string, path: string) => {
  const m = matchV1(method, path);
  return m === BAD_URL ? "bad url" : m.route;
};

describe("/v1 routes", () => {
  it("matches the endpoints on their exact path, percent-decoded segment by segment", () => {
    assert.deepEqual(routeOf("POST", "/v1/chat/completions"), {
      kind: "endpoint",
      endpoint: "/chat/completions",
    });
    assert.deepEqual(routeOf("POST", "/v1/%63hat/completions"), {
      kind: "endpoint",
      endpoint: "/chat/completions",
    });
    for (const path of [
      "/v1/chat%2Fcompletions",
      "/v1/chat/completions/",
      "/v1//chat/completions",
      "/v1/Chat/completions",
      "/v1",
      "/v1/",
    ])
      assert.deepEqual(routeOf("POST", path), { kind: "unknown" }, path);
    assert.deepEqual(routeOf("GET", "/v1/chat/completions"), { kind: "unknown" });
    assert.equal(routeOf("GET", "/v1/models/%ED%A0%80"), "bad url");
  });

  it("serves GET routes to HEAD and takes model ids with slashes", () => {
    assert.deepEqual(routeOf("HEAD", "/v1/models"), { kind: "models" });
    assert.deepEqual(routeOf("GET", "/v1/models/meta/llama-3.3"), {
      kind: "model",
      id: "meta/llama-3.3",
    });
    assert.deepEqual(routeOf("GET", "/v1/models/a%2Fb"), { kind: "model", id: "a/b" });
    assert.deepEqual(routeOf("POST", "/v1/models"), { kind: "unknown" });
  });

  it("addresses stored responses by id, with the body limit of 1 MiB", () => {
    const m = matchV1("POST", "/v1/responses/resp%201/cancel");
    assert.ok(m !== BAD_URL);
    assert.deepEqual(m.route, { kind: "by_id", method: "POST", suffix: "/cancel", id: "resp 1" });
    assert.deepEqual(m.params, { id: "resp 1" });
    assert.equal(m.bodyLimit, 1024 * 1024);
    assert.deepEqual(routeOf("DELETE", "/v1/responses/r"), {
      kind: "by_id",
      method: "DELETE",
      suffix: "",
      id: "r",
    });
    assert.deepEqual(routeOf("GET", "/v1/responses/r/input_items"), {
      kind: "by_id",
      method: "GET",
      suffix: "/input_items",
      id: "r",
    });
    assert.deepEqual(routeOf("GET", "/v1/responses/r/cancel"), { kind: "unknown" });
    const chat = matchV1("POST", "/v1/chat/completions");
    assert.ok(chat !== BAD_URL);
    assert.equal(chat.bodyLimit, 32 * 1024 * 1024);
  });
});

describe("/v1 request bodies", () => {
  it("parses JSON as Fastify did: BOM skipped, empty and broken text refused", () => {
    assert.deepEqual(parseJson('\ufeff{"a":1}'), { value: { a: 1 } });
    assert.equal(parseJson(""), "empty_json");
    assert.equal(parseJson("   "), "invalid_json");
    assert.equal(parseJson('{"a":'), "invalid_json");
    assert.deepEqual(parseJson("[1]"), { value: [1] });
  });

  it("refuses bodies that set __proto__ or constructor.prototype, however spelled", () => {
    assert.equal(parseJson('{"__proto__":{"x":1}}'), "invalid_json");
    assert.equal(parseJson('{"a":[{"b":{"__proto__":1}}]}'), "invalid_json");
    assert.equal(parseJson('{"\\u005f_proto__":{}}'), "invalid_json");
    assert.equal(parseJson('{"constructor":{"prototype":{}}}'), "invalid_json");
    assert.equal(parseJson('{"c\\u006fnstructor":{"prototype":{}}}'), "invalid_json");
    assert.deepEqual(parseJson('{"constructor":1}'), { value: { constructor: 1 } });
    assert.deepEqual(parseJson('{"text":"__proto__ and constructor"}'), {
      value: { text: "__proto__ and constructor" },
    });
  });

  it("reads the media type of a Content-Type header, empty when malformed", () => {
    assert.equal(mediaTypeOf("application/json"), "application/json");
    assert.equal(mediaTypeOf("Application/JSON; charset=utf-8"), "application/json");
    assert.equal(mediaTypeOf(" application/json "), "application/json");
    assert.equal(mediaTypeOf("json"), "");
    assert.equal(mediaTypeOf("application/js on"), "");
  });

  it("parses a query for the input checks: decoded, repeated keys collected, no prototype", () => {
    const q = parseQuery("a=1&a=%00&b=x+y&__proto__=z&bad=%ED%A0%80&&=v");
    assert.deepEqual(Object.getPrototypeOf(q), null);
    assert.deepEqual(Object.keys(q), ["a", "b", "__proto__", "bad", ""]);
    assert.deepEqual(q.a, ["1", "\u0000"]);
    assert.equal(q.b, "x y");
    assert.equal(Object.getOwnPropertyDescriptor(q, "__proto__")?.value, "z", "a key like others");
    assert.equal(q.bad, "%ED%A0%80", "kept as sent when it does not decode");
    assert.equal(q[""], "v");
  });
});

describe("hostile input in JSON text", () => {
  it("names the field of the first problem", () => {
    assert.deepEqual(inspectInput({ a: { b: [0, { c: "x\u0000" }] } }), {
      field: "a.b[1].c",
      message: "value holds a NUL character or an unpaired UTF-16 surrogate (not valid text)",
    });
    const deep = JSON.parse(`{"m":${"[".repeat(70)}1${"]".repeat(70)}}`);
    assert.equal(inspectInput(deep)?.field, `m${"[0]".repeat(63)}`);
  });

  it("needs only the depth walk for text without a \\u escape", () => {
    const bodies = [
      '{"model":"m","messages":[{"role":"user","content":"héllo 👋"}]}',
      '{"a":"\\u0000"}',
      '{"\\ud800":1}',
      '{"a":"\\ud83d\\udc4b"}',
      `{"x":${"[".repeat(70)}1${"]".repeat(70)}}`,
    ];
    for (const text of bodies) {
      const value = JSON.parse(text);
      const full = inspectInput(value);
      if (!jsonTextMayHoldHostile(text))
        assert.deepEqual(inspectInput(value, { depthOnly: true }), full, text);
      else assert.ok(text.includes("\\u"), text);
    }
    assert.equal(jsonTextMayHoldHostile('{"a":"b"}'), false);
    assert.ok(inspectInput(JSON.parse('{"a":"\\u0000"}')), "the full walk finds the NUL");
  });
});

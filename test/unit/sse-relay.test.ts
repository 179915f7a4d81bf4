import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { chatDialect } from "../../src/proxy/sse-dialects.ts";
import { relaySse, type StreamEnd } from "../../src/proxy/sse-relay.ts";

const chunk = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const usageChunk = chunk({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 3 } });

async function collect(
  src: Readable,
  clientWantsUsage: boolean,
): Promise<{ out: string[]; end: StreamEnd | undefined }> {
  let end: StreamEnd | undefined;
  const out: string[] = [];
  const dialect = chatDialect({ clientWantsUsage });
  for await (const s of relaySse(src, { dialect, onEnd: (e) => (end = e) })) out.push(s);
  return { out, end };
}

describe("SSE relay", () => {
  it("passes events through as they come and reads the usage chunk", async () => {
    const src = Readable.from([
      chunk({ choices: [{ delta: { content: "hi" } }] }),
      usageChunk,
      "data: [DONE]\n\n",
    ]);
    const { out, end } = await collect(src, true);
    assert.equal(
      out.join(""),
      `${chunk({ choices: [{ delta: { content: "hi" } }] })}${usageChunk}data: [DONE]\n\n`,
    );
    assert.deepEqual(end, { ok: true, usage: { prompt_tokens: 11, completion_tokens: 3 } });
  });

  it("hides the usage chunk from a client that did not ask for it", async () => {
    const { out, end } = await collect(Readable.from([usageChunk, "data: [DONE]\n\n"]), false);
    assert.equal(out.join(""), "data: [DONE]\n\n");
    assert.equal(end?.usage?.prompt_tokens, 11);
  });

  it("joins events split across chunks", async () => {
    const whole = chunk({ choices: [{ delta: { content: "split" } }] });
    const { out } = await collect(Readable.from([whole.slice(0, 10), whole.slice(10)]), true);
    assert.equal(out.join(""), whole);
  });

  it("ends a failed upstream with an SSE error event, never a clean end", async () => {
    const src = new Readable({ read() {} });
    src.push(chunk({ choices: [{ delta: { content: "partial" } }] }));
    setTimeout(() => src.destroy(new Error("other side closed")), 5);
    const { out, end } = await collect(src, true);
    assert.match(
      out.at(-1) ?? "",
      /^event: error\ndata: \{"error":\{"message":"upstream stream failed: other side closed"/,
    );
    assert.equal(end?.ok, false);
  });
});

describe("usage of a JSON answer", () => {
  it("reads the counts from the usage object without parsing the body", async () => {
    const { usageOfJson } = await import("../../src/proxy/usage-json.ts");
    const body = Buffer.from(
      JSON.stringify({
        id: "x",
        choices: [{ message: { content: '"usage" in text' } }],
        usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
      }),
    );
    assert.deepEqual(usageOfJson(body), { prompt_tokens: 9, completion_tokens: 4 });
    assert.deepEqual(
      usageOfJson(Buffer.from(JSON.stringify({ usage: { prompt_tokens: 4, total_tokens: 4 } }))),
      { prompt_tokens: 4, completion_tokens: 0 },
    );
    assert.equal(usageOfJson(Buffer.from("{}")), null);
  });
});

describe("usage in SSE events", () => {
  it("parses only the chunk whose usage carries counts, not the usage:null ones", async () => {
    const { carriesUsage } = await import("../../src/proxy/sse-dialects.ts");
    assert.equal(carriesUsage(chunk({ choices: [{ delta: {} }], usage: null })), false);
    assert.equal(carriesUsage('data: {"usage" : null}'), false);
    assert.equal(carriesUsage(usageChunk), true);
    assert.equal(carriesUsage('data: {"usage": {"prompt_tokens": 1}}'), true);
    assert.equal(
      carriesUsage(chunk({ choices: [{ delta: { content: '"usage":{' } }] })),
      false,
      "text mentioning usage is escaped",
    );
  });

  it("reads a Responses stream: the id from response.created, usage from response.completed", async () => {
    const { responsesDialect } = await import("../../src/proxy/sse-dialects.ts");
    const ev = (type: string, data: Record<string, unknown>) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const ids: string[] = [];
    const events = [
      ev("response.created", { response: { id: "resp_1", usage: null } }),
      ev("response.output_text.delta", { delta: "hi" }),
      ev("response.completed", {
        response: { id: "resp_1", usage: { input_tokens: 7, output_tokens: 2 } },
      }),
    ];
    let end: StreamEnd | undefined;
    const out: string[] = [];
    const dialect = responsesDialect({ onResponseId: (id) => ids.push(id) });
    for await (const s of relaySse(Readable.from(events), { dialect, onEnd: (e) => (end = e) }))
      out.push(s);
    assert.equal(out.join(""), events.join(""), "relayed unchanged");
    assert.deepEqual(ids, ["resp_1"]);
    assert.deepEqual(end, { ok: true, usage: { prompt_tokens: 7, completion_tokens: 2 } });
  });

  it("ends a Responses stream cut short without response.completed with an error event", async () => {
    const { responsesDialect } = await import("../../src/proxy/sse-dialects.ts");
    const dialect = responsesDialect({ onResponseId: () => {} });
    const src = Readable.from([
      'event: response.created\ndata: {"type":"response.created","response":{"id":"r"}}\n\n',
    ]);
    const out: string[] = [];
    let end: StreamEnd | undefined;
    for await (const s of relaySse(src, { dialect, onEnd: (e) => (end = e) })) out.push(s);
    assert.match(
      out.at(-1) ?? "",
      /^event: error\ndata: \{"type":"error","code":"upstream_stream_error"/,
    );
    assert.equal(end?.ok, false);
  });
});

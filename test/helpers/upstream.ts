import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { createResponsesApi } from "../../scripts/fake-responses.ts";

/** How the test upstream answers the next requests. */
export type Behaviour =
  | { kind: "ok"; headers?: Record<string, string> }
  | { kind: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: "hang" }
  | { kind: "midstream_fail" }
  /** Streams chat completions of `max_tokens` word chunks (default 10), one every `everyMs`. */
  | { kind: "slow_stream"; everyMs: number }
  /**
   * Chat completions answer `content` (a function sees the request body, e.g. to "obey" what
   * the prompt says) after `delayMs`, with `refusal` when given; other paths answer as "ok".
   */
  | {
      kind: "chat";
      content: string | ((body: Record<string, unknown>) => string);
      refusal?: string;
      delayMs?: number;
    };

/** A request the upstream received. */
export interface Received {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown> | undefined;
  headers: IncomingHttpHeaders;
  /** Date.now() when it arrived. */
  at: number;
}

/**
 * A controllable OpenAI-compatible upstream for proxy tests: chat, completions, embeddings,
 * models, and the Responses API (test/helpers/upstream-responses.ts).
 */
export interface TestUpstream {
  url: string;
  received: Received[];
  /** Whether this upstream stored the Responses API response `id`. */
  hasResponse(id: string): boolean;
  /** Sets the behaviour for every following request. */
  behave(b: Behaviour): void;
  close(): Promise<void>;
}

/** Starts a {@link TestUpstream} on a free loopback port. */
export async function startTestUpstream(): Promise<TestUpstream> {
  let behaviour: Behaviour = { kind: "ok" };
  const received: Received[] = [];
  const responses = createResponsesApi();
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    received.push({
      method: req.method ?? "",
      path: req.url ?? "",
      authorization: req.headers.authorization,
      body,
      headers: req.headers,
      at: Date.now(),
    });
    answer(req, res, body, behaviour, responses);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    received,
    hasResponse: (id) => responses.stored.has(id),
    behave: (b) => {
      behaviour = b;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function answer(
  req: IncomingMessage,
  res: ServerResponse,
  body: Record<string, unknown> | undefined,
  b: Behaviour,
  responses: ReturnType<typeof createResponsesApi>,
) {
  if (b.kind === "hang") return;
  if (b.kind === "chat" && req.method === "POST" && (req.url ?? "").endsWith("/chat/completions")) {
    const content = typeof b.content === "function" ? b.content(body ?? {}) : b.content;
    setTimeout(() => chat(res, String(body?.model ?? ""), content, b.refusal), b.delayMs ?? 0);
    return;
  }
  if (b.kind === "status") {
    res.writeHead(b.status, { "content-type": "application/json", ...b.headers });
    res.end(
      JSON.stringify(
        b.body ?? { error: { message: `upstream says ${b.status}`, type: "upstream" } },
      ),
    );
    return;
  }
  const path = req.url ?? "";
  const model = String(body?.model ?? "");
  const headers = b.kind === "ok" ? (b.headers ?? {}) : {};
  if (req.method === "POST" && path.endsWith("/v1/responses") && body) {
    return responses.create(res, model, body, {
      failMidstream: b.kind === "midstream_fail",
      headers,
    });
  }
  const byId = /\/v1\/responses\/([^/?]+)$/.exec(path);
  if (byId) return responses.byId(res, req.method ?? "GET", decodeURIComponent(byId[1] ?? ""));
  if (req.method === "GET" && path.endsWith("/models")) {
    return json(res, {}, { object: "list", data: [{ id: "native-model", object: "model" }] });
  }
  if (path.endsWith("/embeddings")) {
    const vector = [0.1, 0.2, 0.3];
    const embedding =
      body?.encoding_format === "base64"
        ? Buffer.from(new Float32Array(vector).buffer).toString("base64")
        : vector;
    return json(res, headers, {
      object: "list",
      data: [{ object: "embedding", index: 0, embedding }],
      model,
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
  }
  if (path.endsWith("/chat/completions") && body?.stream === true) {
    res.writeHead(200, { "content-type": "text/event-stream", ...headers });
    const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model, choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;
    res.write(chunk({ role: "assistant", content: "" }));
    if (b.kind === "slow_stream") return slowWords(res, chunk, Number(body.max_tokens ?? 10), b);
    for (const word of ["hello ", "from ", model]) res.write(chunk({ content: word }));
    if (b.kind === "midstream_fail") {
      setTimeout(() => res.destroy(), 30); // after the first chunks reached the proxy
      return;
    }
    const opts = body.stream_options as { include_usage?: boolean } | undefined;
    if (opts?.include_usage) {
      res.write(
        `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model, choices: [], usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 } })}\n\n`,
      );
    }
    res.end("data: [DONE]\n\n");
    return;
  }
  if (path.endsWith("/completions")) {
    const chat = path.endsWith("/chat/completions");
    return json(res, headers, {
      id: "cmpl-1",
      object: chat ? "chat.completion" : "text_completion",
      created: 1,
      model,
      choices: [
        chat
          ? {
              index: 0,
              message: { role: "assistant", content: `hello from ${model}` },
              finish_reason: "stop",
            }
          : { index: 0, text: `hello from ${model}`, finish_reason: "stop" },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
    });
  }
  res.writeHead(404).end();
}

function chat(res: ServerResponse, model: string, content: string, refusal?: string) {
  json(
    res,
    {},
    {
      id: "chatcmpl-t",
      object: "chat.completion",
      created: 1,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: refusal ? null : content,
            refusal: refusal ?? null,
          },
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 120, completion_tokens: 40, total_tokens: 160 },
    },
  );
}

function json(res: ServerResponse, headers: Record<string, string>, value: unknown) {
  const s = JSON.stringify(value);
  res.writeHead(200, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(s),
    ...headers,
  });
  res.end(s);
}

/** Writes `n` word chunks one every `everyMs`, then `[DONE]`; stops when the client goes. */
function slowWords(
  res: ServerResponse,
  chunk: (delta: Record<string, unknown>) => string,
  n: number,
  b: { everyMs: number },
): void {
  let sent = 0;
  const timer = setInterval(() => {
    if (sent === n) {
      clearInterval(timer);
      res.end("data: [DONE]\n\n");
      return;
    }
    res.write(chunk({ content: `w${sent++} ` }));
  }, b.everyMs);
  res.once("close", () => clearInterval(timer));
}

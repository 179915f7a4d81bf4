/**
 * A small OpenAI-compatible upstream for demos and benchmarks. It never calls anything;
 * it answers `GET /v1/models`, `POST /v1/chat/completions` (JSON or SSE),
 * `POST /v1/completions`, `POST /v1/embeddings` and the Responses API (`POST /v1/responses`,
 * JSON or SSE; `GET` / `DELETE /v1/responses/{id}`, see ./fake-responses.ts), and records
 * every request. A chat completion asking for `response_format` `json_schema` named
 * `incident_triage` or `report_summary` (commandpost's triage) gets a JSON answer built from
 * the request's data part, after `triageDelayMs`.
 *
 * ```ts
 * const up = await startFakeUpstream();
 * // backend base_url: `${up.url}/v1`
 * await up.close();
 * ```
 * Run directly (`tsx scripts/fake-upstream.ts`) it listens on `PORT` (default: a free port)
 * and prints its URL.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { createResponsesApi } from "./fake-responses.ts";

/** One request the fake upstream received. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** The `Authorization` header as received (the backend's API key as bearer). */
  authorization: string | undefined;
  /** The parsed JSON body, or undefined for GET or a body that is not JSON. */
  body: Record<string, unknown> | undefined;
}

/** A running fake upstream. */
export interface FakeUpstream {
  /** `http://127.0.0.1:<port>`; the OpenAI base URL is `${url}/v1`. */
  url: string;
  /** Every request, in arrival order. Clear it with `requests.length = 0`. */
  requests: RecordedRequest[];
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Options of {@link startFakeUpstream}. */
export interface FakeUpstreamOptions {
  /** TCP port (default 0: a free one). */
  port?: number;
  /** Keep at most this many recorded requests (default 10 000; 0 records nothing). */
  maxRecorded?: number;
  /** Delay before answering a triage or report-summary request, in ms (default 0). */
  triageDelayMs?: number;
}

const MODELS = ["meta/llama-3.3-70b-instruct", "text-embedding-3-small"];

/** Starts the fake upstream on 127.0.0.1. */
export async function startFakeUpstream(opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  const maxRecorded = opts.maxRecorded ?? 10_000;
  const responses = createResponsesApi();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = parseBody(chunks);
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      if (requests.length < maxRecorded) {
        requests.push({
          method: req.method ?? "GET",
          path,
          authorization: req.headers.authorization,
          body,
        });
      }
      const schema = structuredName(body);
      if (schema && route(req, path) === "POST /v1/chat/completions" && body) {
        setTimeout(() => structured(res, schema, body), opts.triageDelayMs ?? 0);
        return;
      }
      handle(req, res, path, body, responses);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function parseBody(chunks: Buffer[]): Record<string, unknown> | undefined {
  if (chunks.length === 0) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    return typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const route = (req: IncomingMessage, path: string) => `${req.method} ${path}`;

/** The `json_schema` name a chat request asks for, if any. */
function structuredName(body: Record<string, unknown> | undefined): string | undefined {
  const format = body?.response_format as { type?: string; json_schema?: { name?: string } };
  return format?.type === "json_schema" ? format.json_schema?.name : undefined;
}

/** What the fake reads of a triage request's data part (src/triage/triage-prompt.ts). */
interface TriageData {
  alert?: {
    alertname?: string;
    title?: string;
    summary?: string;
    started_at?: string;
    labels?: Record<string, string>;
  };
  symptom?: { error_class?: string; seen?: number };
  recent_events?: unknown[];
  past_incidents?: { resolution?: { how?: string } | null }[];
  heal_templates?: { name: string }[];
}

/** What the fake reads of a report summary request's data part. */
interface SummaryData {
  current?: {
    incidents?: { opened?: number };
    alerts?: { received?: number };
    autonomy?: { index?: number | null };
    proxy?: { total?: { cost_usd?: number } };
  };
}

/** The JSON document between the data markers of the request's user message. */
function dataPart(body: Record<string, unknown>): TriageData & SummaryData {
  const messages = Array.isArray(body.messages) ? (body.messages as { content?: unknown }[]) : [];
  const text = String(messages.at(-1)?.content ?? "");
  try {
    return JSON.parse(text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1));
  } catch {
    return {};
  }
}

/** A triage (or report summary) read off the data, as a model following the schema would. */
function structuredContent(name: string, d: TriageData & SummaryData): unknown {
  if (name === "report_summary") {
    const c = d.current ?? {};
    const index = c.autonomy?.index;
    return {
      summary: `${c.incidents?.opened ?? 0} incidents opened and ${c.alerts?.received ?? 0} events received; autonomy ${index === null || index === undefined ? "not measurable" : `${Math.round(index * 100)}%`}. Proxy cost $${(c.proxy?.total?.cost_usd ?? 0).toFixed(4)}.`,
    };
  }
  const a = d.alert ?? {};
  const where = a.labels?.instance ?? a.labels?.job ?? "its service";
  const cls = d.symptom?.error_class ?? "other";
  const templates = d.heal_templates ?? [];
  const past = d.past_incidents ?? [];
  return {
    summary: `${a.alertname} on ${where}: ${a.summary || a.title}. Seen ${d.symptom?.seen ?? 1} time(s).`,
    likely_causes: [
      `${cls} errors from ${a.labels?.job ?? where}, starting ${a.started_at}`,
      ...((d.recent_events?.length ?? 0) > 1
        ? [`${d.recent_events?.length} related events in 24 h`]
        : []),
    ],
    next_steps: [
      `Check ${a.labels?.job ?? where}'s logs and its latest deploy`,
      ...(past.length > 0 ? [`Last time: ${past[0]?.resolution?.how ?? "still open"}`] : []),
      ...(templates[0] ? [`Consider the template "${templates[0].name}"`] : []),
    ],
    suggested_template: templates[0]?.name ?? null,
    confidence: 0.7,
  };
}

function structured(res: ServerResponse, name: string, body: Record<string, unknown>): void {
  const content = JSON.stringify(structuredContent(name, dataPart(body)));
  json(res, 200, {
    id: `chatcmpl-${id()}`,
    object: "chat.completion",
    created: now(),
    model: String(body.model ?? "unknown-model"),
    choices: [
      {
        index: 0,
        message: { role: "assistant", content, refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: usage(promptTokens(body.messages), Math.ceil(content.length / 4)),
  });
}

function handle(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  body: Record<string, unknown> | undefined,
  responses: ReturnType<typeof createResponsesApi>,
): void {
  const model = typeof body?.model === "string" ? body.model : "unknown-model";
  const route = `${req.method} ${path}`;
  const byId = /^\/v1\/responses\/([^/]+)$/.exec(path);
  if (route === "GET /v1/models") {
    json(res, 200, {
      object: "list",
      data: MODELS.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "fake" })),
    });
  } else if (req.method === "POST" && !body) {
    json(res, 400, {
      error: { message: "body: expected a JSON object", type: "invalid_request_error" },
    });
  } else if (route === "POST /v1/chat/completions" && body) {
    if (body.stream === true) chatStream(res, model, body);
    else chatJson(res, model, body);
  } else if (route === "POST /v1/completions" && body) {
    json(res, 200, {
      id: `cmpl-${id()}`,
      object: "text_completion",
      created: now(),
      model,
      choices: [{ index: 0, text: `hello from ${model}`, logprobs: null, finish_reason: "stop" }],
      usage: usage(promptTokens(body.prompt), 4),
    });
  } else if (route === "POST /v1/embeddings" && body) {
    embeddings(res, model, body);
  } else if (route === "POST /v1/responses" && body) {
    responses.create(res, model, body, { failMidstream: false, headers: {} });
  } else if (byId && (req.method === "GET" || req.method === "DELETE")) {
    responses.byId(res, req.method, decodeURIComponent(byId[1] ?? ""));
  } else {
    json(res, 404, { error: { message: `no route for ${route}`, type: "invalid_request_error" } });
  }
}

function chatJson(res: ServerResponse, model: string, body: Record<string, unknown>): void {
  json(res, 200, {
    id: `chatcmpl-${id()}`,
    object: "chat.completion",
    created: now(),
    model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: `hello from ${model}`, refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: usage(promptTokens(body.messages), 4),
    system_fingerprint: "fp_fake",
  });
}

function chatStream(res: ServerResponse, model: string, body: Record<string, unknown>): void {
  const base = { id: `chatcmpl-${id()}`, object: "chat.completion.chunk", created: now(), model };
  const pieces = ["hello", " from", ` ${model}`];
  const includeUsage =
    typeof body.stream_options === "object" &&
    body.stream_options !== null &&
    (body.stream_options as Record<string, unknown>).include_usage === true;
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
  });
  const send = (chunk: unknown) => res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  const choice = (delta: Record<string, unknown>, finish: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage && { usage: null }),
  });
  send(choice({ role: "assistant", content: "" }, null));
  for (const content of pieces) send(choice({ content }, null));
  send(choice({}, "stop"));
  if (includeUsage)
    send({ ...base, choices: [], usage: usage(promptTokens(body.messages), pieces.length) });
  res.end("data: [DONE]\n\n");
}

function embeddings(res: ServerResponse, model: string, body: Record<string, unknown>): void {
  const inputs = Array.isArray(body.input) ? body.input : [body.input ?? ""];
  json(res, 200, {
    object: "list",
    data: inputs.map((input, index) => ({
      object: "embedding",
      index,
      embedding: vector(String(input)),
    })),
    model,
    usage: { prompt_tokens: promptTokens(inputs), total_tokens: promptTokens(inputs) },
  });
}

/** A deterministic 8-dimensional unit-ish vector derived from the text. */
function vector(text: string): number[] {
  const v = new Array<number>(8).fill(0);
  for (let i = 0; i < text.length; i++) v[i % 8] = (v[i % 8] ?? 0) + text.charCodeAt(i);
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => Math.round((x / norm) * 1e6) / 1e6);
}

/** A rough token count: ~4 characters per token of the JSON, at least 1. */
function promptTokens(value: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(value ?? "").length / 4));
}

function usage(prompt: number, completion: number) {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const payload = JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
  });
  res.end(payload);
}

const id = () => randomBytes(12).toString("hex");
const now = () => Math.floor(Date.now() / 1000);

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const up = await startFakeUpstream({ port: Number(process.env.PORT ?? 0), maxRecorded: 0 });
  process.stdout.write(`fake upstream listening on ${up.url} (OpenAI base URL ${up.url}/v1)\n`);
  const stop = () => {
    up.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { finished, type Readable } from "node:stream";
import { openAiError } from "../../proxy/openai-error.ts";
import type { ProxyResult } from "../../proxy/proxy-call.ts";
import type { RequestLog } from "./request-log.ts";

/** Content type of every JSON answer of ours (as Fastify's serializer labelled it). */
const JSON_TYPE = "application/json; charset=utf-8";

/**
 * Writes a JSON answer with `x-request-id`, its length and `headers` (e.g. `retry-after`,
 * `connection: close`). A HEAD request gets the headers only (node:http drops the body).
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  requestId: string,
  body: unknown,
  headers?: Record<string, string>,
): void {
  const payload = JSON.stringify(body);
  const all: OutgoingHttpHeaders = {
    ...headers,
    "x-request-id": requestId,
    "content-type": JSON_TYPE,
    "content-length": Buffer.byteLength(payload),
  };
  res.writeHead(status, all);
  res.end(payload);
}

/** What {@link sendProxyResult} needs besides the result. */
export interface SendDeps {
  requestId: string;
  /** Wraps a streamed answer so the drain can end it (src/http/drain.ts). */
  track(stream: Readable): Readable;
  log: RequestLog;
}

/**
 * Writes a proxy result: errors as OpenAI bodies, buffered answers as the upstream sent them,
 * streams as SSE; upstream rate-limit headers are passed on. `x-commandpost-backend` names
 * the backend that answered.
 */
export function sendProxyResult(
  req: IncomingMessage,
  res: ServerResponse,
  result: ProxyResult,
  deps: SendDeps,
): void {
  if (result.kind === "error") {
    sendJson(res, result.status, deps.requestId, result.body, result.headers);
    return;
  }
  if (result.kind === "buffered") {
    res.writeHead(result.status, {
      "x-request-id": deps.requestId,
      "x-commandpost-backend": result.backend,
      ...result.headers,
      "content-type": result.contentType,
      "content-length": result.body.length,
    });
    res.end(result.body);
    return;
  }
  res.statusCode = result.status;
  res.setHeader("x-request-id", deps.requestId);
  res.setHeader("x-commandpost-backend", result.backend);
  if (result.headers) for (const k in result.headers) res.setHeader(k, result.headers[k] as string);
  res.setHeader("content-type", "text/event-stream; charset=utf-8");
  res.setHeader("cache-control", "no-cache");
  res.setHeader("x-accel-buffering", "no");
  pipeStream(req, res, deps.track(result.body), deps);
}

/**
 * Pipes `payload` into `res` as Fastify's `sendStream` did: the client going away destroys
 * the payload (which ends the upstream request); a payload failing after the headers went
 * out destroys the response, before that it is a 500 naming the request id.
 */
function pipeStream(req: IncomingMessage, res: ServerResponse, payload: Readable, deps: SendDeps) {
  let sourceOpen = true;
  finished(payload, { readable: true, writable: false }, (err) => {
    sourceOpen = false;
    if (!err) return;
    if (res.headersSent || req.destroyed) {
      deps.log.get().warn({ err }, "stream to the client failed");
      res.destroy();
      return;
    }
    deps.log.get().error({ err, url: req.url }, "request failed");
    sendJson(res, 500, deps.requestId, serverError(deps.requestId));
  });
  finished(res, () => {
    if (sourceOpen) payload.destroy();
  });
  payload.pipe(res);
}

/** The 500 body: it names only the request id, never what went wrong. */
export function serverError(requestId: string) {
  return openAiError(`The server had an error processing request ${requestId}`, "server_error");
}

/**
 * One log line per failed proxy request (with the request id, and the trace id when tracing
 * is on): 5xx as warnings, 4xx as info; served requests only at debug, so the hot path logs
 * nothing at the default level.
 */
export function logProxyResult(
  log: RequestLog,
  agent: string,
  result: ProxyResult,
  what: string,
): void {
  const status = result.status;
  if (result.kind === "error") {
    const line = { agent, what, status, error: result.body.error.message };
    if (status >= 500) log.get().warn(line, "proxy request failed");
    else if (status !== 499) log.get().info(line, "proxy request refused");
    return;
  }
  if (status >= 400) {
    log
      .get()
      .info({ agent, what, status, backend: result.backend }, "upstream refused the request");
  } else if (log.enabled("debug")) {
    log.get().debug({ agent, what, status, backend: result.backend }, "proxy request served");
  }
}

import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "../logger.ts";
import { INVALID_REQUEST, type OpenAiError, openAiError } from "../proxy/openai-error.ts";
import type { ProxyResult } from "../proxy/proxy-call.ts";

/** What Fastify's body parsing errors mean to an OpenAI client (code → answer). */
const PARSE_ERRORS: Record<string, { message: string; code: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    message: "We could not parse the JSON body of your request: it is not valid JSON",
    code: "invalid_json",
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    message: "The body is empty; send a JSON object with Content-Type: application/json",
    code: "invalid_json",
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    message: "The request body is larger than this endpoint accepts",
    code: "request_too_large",
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    message: "Unsupported Content-Type; send application/json",
    code: "unsupported_media_type",
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    message: "Content-Length does not match the body",
    code: "invalid_content_length",
  },
};

/**
 * The `/v1` error handler: every failure answers OpenAI's shape
 * `{"error":{"message","type","param","code"}}` (https://platform.openai.com/docs/guides/error-codes),
 * which the openai SDKs turn into their typed errors. 5xx bodies name only the request id.
 */
export function openAiErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const status = typeof err.statusCode === "number" ? err.statusCode : 500;
  if (status >= 500) {
    req.log.error({ err, url: req.url }, "request failed");
    return reply
      .code(500)
      .send(openAiError(`The server had an error processing request ${req.id}`, "server_error"));
  }
  const known = PARSE_ERRORS[err.code];
  const body = known
    ? openAiError(known.message, INVALID_REQUEST, { code: known.code })
    : openAiError(err.message, INVALID_REQUEST);
  return reply.code(status).send(body);
}

/** `/v1` routes that do not exist: OpenAI's "Invalid URL (METHOD /path)". */
export function openAiNotFound(req: FastifyRequest, reply: FastifyReply) {
  const path = req.url.split("?")[0];
  return reply
    .code(404)
    .send(
      openAiError(`Invalid URL (${req.method} ${path})`, INVALID_REQUEST, { code: "unknown_url" }),
    );
}

/** A 400 in OpenAI's shape. */
export function badRequest(reply: FastifyReply, message: string, param: string | null = null) {
  return reply.code(400).send(openAiError(message, INVALID_REQUEST, { param }));
}

/**
 * Writes a proxy result: errors as OpenAI bodies, buffered answers as the upstream sent them,
 * streams as SSE; upstream rate-limit headers are passed on. `x-commandpost-backend` names
 * the backend that answered.
 */
export function sendProxyResult(reply: FastifyReply, result: ProxyResult) {
  if (result.kind === "error") {
    if (result.headers) reply.headers(result.headers);
    return reply.code(result.status).send(result.body satisfies OpenAiError);
  }
  reply.code(result.status).header("x-commandpost-backend", result.backend);
  if (result.headers) reply.headers(result.headers);
  if (result.kind === "stream") {
    reply
      .header("content-type", "text/event-stream; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("x-accel-buffering", "no");
  } else {
    reply.header("content-type", result.contentType);
  }
  return reply.send(result.body);
}

/**
 * One log line per failed proxy request (with the request id, and the trace id when tracing
 * is on): 5xx as warnings, 4xx as info; served requests only at debug, so the hot path logs
 * nothing at the default level.
 */
export function logProxyResult(req: FastifyRequest, result: ProxyResult, what: string) {
  const status = result.status;
  const agent = req.agent?.name;
  if (result.kind === "error") {
    const line = { agent, what, status, error: result.body.error.message };
    if (status >= 500) req.log.warn(line, "proxy request failed");
    else if (status !== 499) req.log.info(line, "proxy request refused");
    return;
  }
  if (status >= 400) {
    req.log.info({ agent, what, status, backend: result.backend }, "upstream refused the request");
  } else if ((req.log as Logger).isLevelEnabled("debug")) {
    req.log.debug({ agent, what, status, backend: result.backend }, "proxy request served");
  }
}

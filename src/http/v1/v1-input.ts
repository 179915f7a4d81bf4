import type { IncomingMessage } from "node:http";
import { INVALID_REQUEST, type OpenAiError, openAiError } from "../../proxy/openai-error.ts";
import { inspectInput, jsonTextMayHoldHostile } from "../hostile-input.ts";
import { parseQuery } from "./query.ts";
import { type Body, type BodyProblem, bodyPlan, NO_BODY, readBody } from "./request-body.ts";
import type { V1Match } from "./v1-routes.ts";

/** A refused request: status, OpenAI body, and whether the connection closes after it. */
export interface InputRefusal {
  status: number;
  body: OpenAiError;
  /** The body was not (wholly) read: the connection closes so its rest is never read. */
  close: boolean;
}

/** How a refused body is answered (Fastify's messages for its `FST_ERR_CTP_*` errors). */
const BODY_ANSWERS: Record<
  BodyProblem,
  { status: number; message: string; code: string | null; close: boolean }
> = {
  invalid_json: {
    status: 400,
    message: "We could not parse the JSON body of your request: it is not valid JSON",
    code: "invalid_json",
    close: true,
  },
  empty_json: {
    status: 400,
    message: "The body is empty; send a JSON object with Content-Type: application/json",
    code: "invalid_json",
    close: true,
  },
  too_large: {
    status: 413,
    message: "The request body is larger than this endpoint accepts",
    code: "request_too_large",
    close: true,
  },
  media_type: {
    status: 415,
    message: "Unsupported Content-Type; send application/json",
    code: "unsupported_media_type",
    close: false,
  },
  content_length: {
    status: 400,
    message: "Content-Length does not match the body",
    code: "invalid_content_length",
    close: true,
  },
  missing_content_type: {
    status: 400,
    message: "Method 'QUERY' must provide a 'Content-Type' header.",
    code: null,
    close: false,
  },
  read_failed: {
    status: 400,
    message: "The request body could not be read",
    code: null,
    close: true,
  },
};

/** The answer to a refused body, in OpenAI's error shape. */
export function bodyRefusal(problem: BodyProblem): InputRefusal {
  const a = BODY_ANSWERS[problem];
  return {
    status: a.status,
    body: openAiError(a.message, INVALID_REQUEST, { code: a.code }),
    close: a.close,
  };
}

/**
 * The body of a request as its route and headers say: read and parsed (a promise), none, or
 * refused. On an unknown route a body of a type nobody parses is not read (the 404 follows).
 */
export function bodyOf(
  req: IncomingMessage,
  match: V1Match,
): Promise<Body | BodyProblem> | Body | BodyProblem {
  const plan = bodyPlan(req, { unknownRoute: match.route.kind === "unknown" });
  if (plan === "none") return NO_BODY;
  if (plan !== "json" && plan !== "text") return plan;
  return new Promise((resolve) => readBody(req, plan, match.bodyLimit, resolve));
}

/**
 * The hostile-input check (src/http/hostile-input.ts) of the path parameters, the query
 * (`query`: the text after `?`) and the body, in that order as Fastify's `preValidation`
 * hook ran it: the first problem as a 400, or undefined. JSON text without a `\u` escape
 * gets the depth check only (see `jsonTextMayHoldHostile`).
 */
export function inputRefusal(
  match: V1Match,
  query: string | undefined,
  body: Body,
): InputRefusal | undefined {
  let problem: string | undefined;
  const check = (where: string, value: unknown, depthOnly: boolean) => {
    const p = inspectInput(value, { depthOnly });
    if (p) problem = `${where} field ${p.field}: ${p.message}`;
    return p !== undefined;
  };
  if (
    (match.params !== undefined && check("path", match.params, false)) ||
    (query !== undefined && check("query", parseQuery(query), false)) ||
    (body.kind === "json" && check("body", body.value, !jsonTextMayHoldHostile(body.text))) ||
    (body.kind === "text" && check("body", { body: body.text }, false))
  ) {
    return { status: 400, body: openAiError(problem as string, INVALID_REQUEST), close: false };
  }
  return undefined;
}

import type { IncomingMessage } from "node:http";

/**
 * Why a request body was refused, as Fastify's body parsing named it (`FST_ERR_CTP_*`), so a
 * client sees the same answer on every route:
 * - `invalid_json`: not JSON, or it sets `__proto__` / `constructor.prototype`;
 * - `empty_json`: `Content-Type: application/json` with an empty body;
 * - `too_large`: over the route's limit (announced or counted while reading);
 * - `media_type`: a Content-Type other than JSON or plain text, or a body without one;
 * - `content_length`: fewer or more bytes than `Content-Length` said;
 * - `missing_content_type`: a `QUERY` request without a Content-Type (RFC 10008, 2);
 * - `read_failed`: the upload broke off (the client is gone; nobody reads the answer).
 */
export type BodyProblem =
  | "invalid_json"
  | "empty_json"
  | "too_large"
  | "media_type"
  | "content_length"
  | "missing_content_type"
  | "read_failed";

/** A read and parsed body: JSON, text, or none. */
export type Body =
  | { kind: "json"; value: unknown; text: string }
  | { kind: "text"; text: string }
  | { kind: "none" };

/** The body of a request that has none, or whose body is not read. */
export const NO_BODY: Body = { kind: "none" };

/** Methods whose body is never read (Fastify's "bodyless" methods). */
const BODYLESS = new Set(["GET", "HEAD", "TRACE"]);
/** Methods whose body is parsed (Fastify's "bodywith" methods); others are not read. */
const WITH_BODY = new Set(["DELETE", "OPTIONS", "PATCH", "PUT", "POST", "QUERY"]);

/** RFC 9110 token characters (section 5.6.2), as Fastify validates a media type. */
const TYPE = /^[\w!#$%&'*+.^`|~-]+$/;
const SUBTYPE = /^[\w!#$%&'*+.^`|~-]+\s*$/;

/** A `__proto__` or `constructor` key in JSON text, escaped or not (secure-json-parse's test). */
const SUSPECT_PROTO =
  /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"\s*:/;
const SUSPECT_CONSTRUCTOR =
  /"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"\s*:/;

/**
 * Whether JSON text may set `__proto__` or `constructor`. The substring checks (fast) clear
 * almost every body; an escape (`\u…`) may spell either name, so then the patterns decide.
 */
function suspect(t: string): boolean {
  if (!t.includes("__proto__") && !t.includes("constructor") && !t.includes("\\u")) return false;
  return SUSPECT_PROTO.test(t) || SUSPECT_CONSTRUCTOR.test(t);
}

/**
 * The media type of a Content-Type header (lower case, parameters dropped), "" when the
 * header is malformed (Fastify's `ContentType`: `type/subtype` of RFC 9110 tokens).
 */
export function mediaTypeOf(header: string): string {
  const semi = header.indexOf(";");
  const media = (semi < 0 ? header : header.slice(0, semi)).toLowerCase();
  const slash = media.indexOf("/");
  if (slash < 0) return "";
  const type = media.slice(0, slash).trimStart();
  const subtype = media.slice(slash + 1).trimEnd();
  if (!TYPE.test(type) || !SUBTYPE.test(subtype)) return "";
  return `${type}/${subtype}`;
}

/**
 * Whether a parsed JSON value sets an own `__proto__` key or a `constructor` object with a
 * `prototype` key anywhere, which secure-json-parse (Fastify's JSON parser) refuses: code
 * merging such a body into an object could change that object's prototype. Iterative.
 */
function poisoned(root: object): boolean {
  const stack: object[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Record<string, unknown>;
    if (Object.hasOwn(node, "__proto__")) return true;
    const ctor = Object.hasOwn(node, "constructor") ? node.constructor : undefined;
    if (ctor !== null && typeof ctor === "object" && Object.hasOwn(ctor, "prototype")) return true;
    for (const key in node) {
      const v = node[key];
      if (v !== null && typeof v === "object") stack.push(v);
    }
  }
  return false;
}

/**
 * Parses JSON text as Fastify's default JSON parser did: a leading BOM is skipped; empty
 * text, text that is not JSON and a body setting `__proto__` or `constructor.prototype` are
 * problems.
 */
export function parseJson(text: string): { value: unknown } | BodyProblem {
  if (text.length === 0) return "empty_json";
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(t);
  } catch {
    return "invalid_json";
  }
  if (value !== null && typeof value === "object" && suspect(t) && poisoned(value))
    return "invalid_json";
  return { value };
}

let lastContentType = "";
let lastMediaType = "";

/** How the body of a request is to be read: not at all, as JSON or text, or refused. */
export function bodyPlan(
  req: IncomingMessage,
  opts: { unknownRoute: boolean },
): "none" | "json" | "text" | BodyProblem {
  const method = req.method ?? "GET";
  if (BODYLESS.has(method) || !WITH_BODY.has(method)) return "none";
  const h = req.headers;
  const ct = h["content-type"];
  if (ct === undefined) {
    if (method === "QUERY") return "missing_content_type";
    const empty =
      h["transfer-encoding"] === undefined &&
      (h["content-length"] === undefined || h["content-length"] === "0");
    if (empty) return "none";
    // A body of no declared type: Fastify had no parser for it (415), except on a 404.
    return opts.unknownRoute ? "none" : "media_type";
  }
  // Clients send the same header on every call: the last one's answer is kept.
  if (ct !== lastContentType) {
    lastContentType = ct;
    lastMediaType = mediaTypeOf(ct);
  }
  const media = lastMediaType;
  if (media === "") return "media_type";
  if (media === "application/json") return "json";
  if (media === "text/plain") return "text";
  return opts.unknownRoute ? "none" : "media_type";
}

/**
 * Reads the body of `req` (at most `limit` bytes: a larger announced `Content-Length` is
 * refused before reading, a longer body as soon as it passes the limit) and parses it as
 * `plan` says. Calls `done` once with the body or the problem; after a problem the rest of
 * the body is left unread (the answer closes the connection).
 */
export function readBody(
  req: IncomingMessage,
  plan: "json" | "text",
  limit: number,
  done: (body: Body | BodyProblem) => void,
): void {
  const announced = Number(req.headers["content-length"]);
  if (announced > limit) {
    done("too_large");
    return;
  }
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let length = 0;
  const stop = () => {
    req.removeListener("data", onData);
    req.removeListener("end", onEnd);
    req.removeListener("error", onError);
  };
  const onData = (chunk: Buffer) => {
    length += chunk.length;
    if (length > limit) {
      stop();
      done("too_large");
      return;
    }
    if (first === undefined) first = chunk;
    else {
      chunks ??= [first];
      chunks.push(chunk);
    }
  };
  const onEnd = () => {
    // The request is over: its listeners go with it, nothing to remove.
    if (!Number.isNaN(announced) && length !== announced) {
      done("content_length");
      return;
    }
    const buf = chunks ? Buffer.concat(chunks, length) : first;
    const text = buf ? buf.toString("utf8") : "";
    if (plan === "text") {
      done({ kind: "text", text });
      return;
    }
    const parsed = parseJson(text);
    done(typeof parsed === "string" ? parsed : { kind: "json", value: parsed.value, text });
  };
  const onError = () => {
    stop();
    done("read_failed");
  };
  req.on("data", onData);
  req.on("end", onEnd);
  req.on("error", onError);
}

import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";

/** Token counts every response of the test upstream reports. */
export const RESPONSES_USAGE = { input_tokens: 12, output_tokens: 5 };

/**
 * A small Responses API (https://platform.openai.com/docs/api-reference/responses) for the fake
 * upstreams (scripts/fake-upstream.ts, test/helpers/upstream.ts): responses are stored by id,
 * so `previous_response_id` and `GET /responses/{id}` work only on the upstream that produced
 * them, as with a real provider. Streams send the documented event sequence, from
 * `response.created` to `response.completed`.
 */
export function createResponsesApi() {
  const stored = new Map<string, Record<string, unknown>>();

  function build(model: string, body: Record<string, unknown>) {
    const id = `resp_${randomBytes(8).toString("hex")}`;
    const text = `hello from ${model}`;
    return {
      id,
      object: "response",
      created_at: 1_700_000_000,
      status: "completed",
      model,
      previous_response_id: body.previous_response_id ?? null,
      output: [
        {
          type: "message",
          id: `msg_${id.slice(5)}`,
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text, annotations: [] }],
        },
      ],
      usage: {
        ...RESPONSES_USAGE,
        total_tokens: RESPONSES_USAGE.input_tokens + RESPONSES_USAGE.output_tokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens_details: { reasoning_tokens: 0 },
      },
    };
  }

  /** Answers `POST /responses` (400 for an unknown `previous_response_id`). */
  function create(
    res: ServerResponse,
    model: string,
    body: Record<string, unknown>,
    opts: { failMidstream: boolean; headers: Record<string, string> },
  ): void {
    const previous = body.previous_response_id;
    if (typeof previous === "string" && !stored.has(previous)) {
      json(res, 400, {
        error: {
          message: `Previous response with id '${previous}' not found.`,
          type: "invalid_request_error",
          param: "previous_response_id",
          code: "previous_response_not_found",
        },
      });
      return;
    }
    const response = build(model, body);
    stored.set(response.id, response);
    if (body.stream === true) stream(res, response, opts);
    else json(res, 200, response, opts.headers);
  }

  function stream(
    res: ServerResponse,
    response: ReturnType<typeof build>,
    opts: { failMidstream: boolean; headers: Record<string, string> },
  ) {
    res.writeHead(200, { "content-type": "text/event-stream", ...opts.headers });
    let seq = 0;
    const send = (type: string, data: Record<string, unknown>) =>
      res.write(
        `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`,
      );
    const pending = { ...response, status: "in_progress", output: [], usage: null };
    const item = response.output[0] as (typeof response.output)[0];
    send("response.created", { response: pending });
    send("response.in_progress", { response: pending });
    send("response.output_item.added", {
      output_index: 0,
      item: { ...item, status: "in_progress", content: [] },
    });
    send("response.content_part.added", {
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text: "", annotations: [] },
    });
    for (const delta of (item.content[0]?.text ?? "").split(/(?= )/)) {
      send("response.output_text.delta", {
        item_id: item.id,
        output_index: 0,
        content_index: 0,
        delta,
      });
    }
    if (opts.failMidstream) {
      setTimeout(() => res.destroy(), 30);
      return;
    }
    send("response.output_text.done", {
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      text: item.content[0]?.text,
    });
    send("response.output_item.done", { output_index: 0, item });
    send("response.completed", { response });
    res.end();
  }

  /** Answers `GET` / `DELETE /responses/{id}`. */
  function byId(res: ServerResponse, method: string, id: string): void {
    const r = stored.get(id);
    if (!r) {
      json(res, 404, {
        error: {
          message: `No response found with id '${id}'.`,
          type: "invalid_request_error",
          param: null,
          code: null,
        },
      });
    } else if (method === "DELETE") {
      stored.delete(id);
      json(res, 200, { id, object: "response.deleted", deleted: true });
    } else {
      json(res, 200, r);
    }
  }

  return { create, byId, stored };
}

function json(res: ServerResponse, status: number, value: unknown, headers = {}) {
  const s = JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(s),
    ...headers,
  });
  res.end(s);
}

import { readResponsesUsage, type TokenUsage } from "./sse-dialects.ts";

/**
 * Reads `usage` from a chat, completion or embedding JSON answer without parsing the whole
 * body: the counts are looked up in the `"usage"` object (OpenAI puts it last, so the search
 * starts from the end). Returns null when there are no counts.
 */
export function usageOfJson(buf: Buffer): TokenUsage | null {
  const at = buf.lastIndexOf('"usage"');
  if (at < 0) return null;
  const tail = buf.toString("utf8", at, Math.min(buf.length, at + 400));
  const prompt = /"prompt_tokens"\s*:\s*(\d+)/.exec(tail);
  if (!prompt) return null;
  const completion = /"completion_tokens"\s*:\s*(\d+)/.exec(tail);
  return {
    prompt_tokens: Number(prompt[1]),
    completion_tokens: completion ? Number(completion[1]) : 0,
  };
}

/**
 * Reads a Responses API answer (a response object): its `id` (for `previous_response_id`
 * stickiness) and `usage` (`input_tokens`, `output_tokens`). The body is parsed whole: the id
 * is needed and the Responses API is not the chat hot path. Anything unreadable gives nulls.
 */
export function responseOfJson(buf: Buffer): { id: string | null; usage: TokenUsage | null } {
  try {
    const obj = JSON.parse(buf.toString("utf8")) as { id?: unknown; object?: unknown };
    const id = typeof obj.id === "string" && obj.object === "response" ? obj.id : null;
    return { id, usage: readResponsesUsage(obj) };
  } catch {
    return { id: null, usage: null };
  }
}

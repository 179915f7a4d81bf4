import type { Readable } from "node:stream";
import { coerceError } from "../errors.ts";

/** Token counts as OpenAI reports them. */
export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** How a relayed stream ended. */
export interface StreamEnd {
  ok: boolean;
  usage: TokenUsage | null;
  error?: string;
}

/** Reads `usage` out of an OpenAI-style JSON object, when it carries token counts. */
export function readUsage(value: unknown): TokenUsage | null {
  const u = (value as { usage?: Partial<TokenUsage> } | null)?.usage;
  if (!u || typeof u.prompt_tokens !== "number") return null;
  return { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens ?? 0 };
}

/**
 * Relays an upstream SSE body event by event as it arrives (DESIGN.md, Streaming): the
 * usage chunk is read (and dropped when the client did not ask for usage, since the proxy
 * added `include_usage` itself); an upstream failure after the first byte ends the stream
 * with an `event: error` carrying an OpenAI error body, never a clean-looking end.
 * `onEnd` is called once, whatever happens.
 */
export async function* relaySse(
  upstream: Readable,
  opts: { clientWantsUsage: boolean; onEnd: (end: StreamEnd) => void },
): AsyncGenerator<string> {
  let usage: TokenUsage | null = null;
  let carry = "";
  let ended = false;
  const finish = (end: StreamEnd) => {
    if (!ended) opts.onEnd(end);
    ended = true;
  };
  try {
    upstream.setEncoding("utf8");
    for await (const chunk of upstream as AsyncIterable<string>) {
      carry += chunk;
      const events = carry.split(/\r?\n\r?\n/);
      carry = events.pop() ?? "";
      let out = "";
      for (const event of events) {
        if (event.includes('"usage"')) {
          const found = usageOf(event);
          if (found) {
            usage = found.usage;
            if (!opts.clientWantsUsage && found.noChoices) continue;
          }
        }
        out += `${event}\n\n`;
      }
      if (out) yield out;
    }
    if (carry.trim()) yield `${carry}\n\n`;
    finish({ ok: true, usage });
  } catch (err) {
    const message = coerceError(err).message;
    finish({ ok: false, usage, error: message });
    yield `event: error\ndata: ${JSON.stringify({ error: { message: `upstream stream failed: ${message}`, type: "upstream_stream_error" } })}\n\n`;
  } finally {
    if (!ended) finish({ ok: false, usage, error: "client went away" });
    upstream.destroy();
  }
}

function usageOf(event: string): { usage: TokenUsage; noChoices: boolean } | null {
  const line = event.split(/\r?\n/).find((l) => l.startsWith("data:"));
  if (!line) return null;
  try {
    const obj = JSON.parse(line.slice(5).trim()) as { choices?: unknown[] };
    const usage = readUsage(obj);
    return usage ? { usage, noChoices: !obj.choices || obj.choices.length === 0 } : null;
  } catch {
    return null;
  }
}

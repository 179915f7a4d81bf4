import type { Readable } from "node:stream";
import { coerceError } from "../errors.ts";
import type { SseDialect, TokenUsage } from "./sse-dialects.ts";

export type { TokenUsage };

/** How a relayed stream ended. */
export interface StreamEnd {
  ok: boolean;
  usage: TokenUsage | null;
  error?: string;
}

/**
 * Relays an upstream SSE body event by event as it arrives: each complete event is shown to
 * the `dialect` (which reads usage and may drop it); an upstream failure after the first
 * byte, or a Responses stream that ends before its terminal event, ends the stream with the
 * dialect's error event, never a clean-looking end. `onFirstEvent` runs before the first
 * bytes go to the client (time to first token); `onEnd` is called once, whatever happens.
 */
export async function* relaySse(
  upstream: Readable,
  opts: { dialect: SseDialect; onFirstEvent?: () => void; onEnd: (end: StreamEnd) => void },
): AsyncGenerator<string> {
  const { dialect } = opts;
  let carry = "";
  let ended = false;
  let first = true;
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
      for (const event of events) if (dialect.inspect(event)) out += `${event}\n\n`;
      if (!out) continue;
      if (first) {
        first = false;
        opts.onFirstEvent?.();
      }
      yield out;
    }
    if (carry.trim() && dialect.inspect(carry)) yield `${carry}\n\n`;
    if (!dialect.complete()) {
      const error = "the upstream ended the stream before its last event";
      finish({ ok: false, usage: dialect.usage(), error });
      yield dialect.errorEvent(error);
      return;
    }
    finish({ ok: true, usage: dialect.usage() });
  } catch (err) {
    const message = coerceError(err).message;
    finish({ ok: false, usage: dialect.usage(), error: message });
    yield dialect.errorEvent(message);
  } finally {
    if (!ended) finish({ ok: false, usage: dialect.usage(), error: "client went away" });
    upstream.destroy();
  }
}

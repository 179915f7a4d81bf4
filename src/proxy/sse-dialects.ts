import { openAiError } from "./openai-error.ts";

/** Token counts as OpenAI's chat API names them (the Responses API's input/output map here). */
export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/**
 * How one API's server-sent events are read while relayed: which event carries the token
 * counts, which events the client should not see, what an error event looks like, and
 * whether the stream reached its last event.
 */
export interface SseDialect {
  /** Looks at one complete event (without its blank line); false drops it. */
  inspect(event: string): boolean;
  /** Token counts seen so far. */
  usage(): TokenUsage | null;
  /** Whether the stream may end here (Responses: a terminal event was seen). */
  complete(): boolean;
  /** The event that ends a stream the upstream broke (`message` names the cause). */
  errorEvent(message: string): string;
}

/**
 * Whether `text` holds a `"usage"` key whose value is an object. OpenAI sends `"usage":null`
 * on every chunk but the one with the counts when usage was asked for, so only that one is
 * parsed (https://platform.openai.com/docs/api-reference/chat-streaming). Strings inside the
 * JSON escape their quotes, so generated text cannot fake the key.
 */
export function carriesUsage(text: string): boolean {
  let at = text.indexOf('"usage"');
  while (at >= 0) {
    let i = at + 7;
    while (text.charCodeAt(i) === 32) i++;
    if (text.charCodeAt(i) === 58 /* : */) {
      i++;
      while (text.charCodeAt(i) === 32) i++;
      if (text.charCodeAt(i) === 123 /* { */) return true;
    }
    at = text.indexOf('"usage"', i);
  }
  return false;
}

/** The JSON of an event's `data:` line, or undefined. */
function dataOf(event: string): Record<string, unknown> | undefined {
  for (const line of event.split(/\r?\n/)) {
    if (!line.startsWith("data:")) continue;
    try {
      const v: unknown = JSON.parse(line.slice(5));
      return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Reads OpenAI-style chat/completions `usage`, when it carries token counts. */
export function readUsage(value: unknown): TokenUsage | null {
  const u = (value as { usage?: Partial<TokenUsage> } | null)?.usage;
  if (!u || typeof u.prompt_tokens !== "number") return null;
  return { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens ?? 0 };
}

/** Reads Responses API `usage` (`input_tokens`, `output_tokens`) from a response object. */
export function readResponsesUsage(response: unknown): TokenUsage | null {
  const u = (response as { usage?: { input_tokens?: unknown; output_tokens?: unknown } } | null)
    ?.usage;
  if (!u || typeof u.input_tokens !== "number") return null;
  return {
    prompt_tokens: u.input_tokens,
    completion_tokens: typeof u.output_tokens === "number" ? u.output_tokens : 0,
  };
}

/**
 * Chat and legacy completions: usage comes in its own chunk with no choices when
 * `include_usage` was asked for; that chunk is hidden from a client that did not ask (the
 * proxy asked in its place).
 */
export function chatDialect(opts: { clientWantsUsage: boolean }): SseDialect {
  let usage: TokenUsage | null = null;
  return {
    inspect(event) {
      if (!carriesUsage(event)) return true;
      const obj = dataOf(event);
      const found = readUsage(obj);
      if (!found) return true;
      usage = found;
      const choices = obj?.choices;
      const noChoices = !Array.isArray(choices) || choices.length === 0;
      return opts.clientWantsUsage || !noChoices;
    },
    usage: () => usage,
    complete: () => true,
    errorEvent: (message) =>
      `event: error\ndata: ${JSON.stringify(openAiError(`upstream stream failed: ${message}`, "upstream_stream_error"))}\n\n`,
  };
}

const RESPONSES_TERMINAL = ["response.completed", "response.failed", "response.incomplete"];

/**
 * The Responses API (https://platform.openai.com/docs/api-reference/responses-streaming):
 * `response.created` names the response (reported through `onResponseId` for stickiness);
 * `response.completed` (or `.failed`, `.incomplete`) carries `response.usage` and ends the
 * stream. Nothing is dropped.
 */
export function responsesDialect(opts: { onResponseId: (id: string) => void }): SseDialect {
  let usage: TokenUsage | null = null;
  let done = false;
  let named = false;
  return {
    inspect(event) {
      if (!named && event.includes('"response.created"')) {
        const id = (dataOf(event)?.response as { id?: unknown } | undefined)?.id;
        if (typeof id === "string") {
          named = true;
          opts.onResponseId(id);
        }
      }
      if (carriesUsage(event)) {
        const data = dataOf(event);
        usage = readResponsesUsage(data?.response) ?? usage;
        if (RESPONSES_TERMINAL.includes(String(data?.type))) done = true;
      } else if (!done && RESPONSES_TERMINAL.some((t) => event.includes(`"${t}"`))) {
        done = true;
      }
      return true;
    },
    usage: () => usage,
    complete: () => done,
    errorEvent: (message) => {
      const body = openAiError(`upstream stream failed: ${message}`, "upstream_stream_error", {
        code: "upstream_stream_error",
      });
      const e = body.error;
      const data = { type: "error", code: e.code, message: e.message, param: e.param, error: e };
      return `event: error\ndata: ${JSON.stringify(data)}\n\n`;
    },
  };
}

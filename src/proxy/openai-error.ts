/**
 * OpenAI's error body, as every `/v1` failure answers it
 * (https://platform.openai.com/docs/guides/error-codes): all four fields are always present,
 * `param` and `code` null when they do not apply.
 */
export interface OpenAiError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Builds an {@link OpenAiError}. */
export function openAiError(
  message: string,
  type: string,
  opts: { param?: string | null; code?: string | null } = {},
): OpenAiError {
  return { error: { message, type, param: opts.param ?? null, code: opts.code ?? null } };
}

/** OpenAI's `type` for a mistake in the request (any 4xx but 401, 404 and 429). */
export const INVALID_REQUEST = "invalid_request_error";

/**
 * Why the proxy answered 503 (`commandpost_proxy_503_total{reason}`):
 * - `queue_full`: nothing could take the request and the wait queue holds `PROXY_QUEUE_MAX`;
 * - `queue_timeout`: it waited `PROXY_QUEUE_TIMEOUT_S` without a backend freeing up;
 * - `upstream_failed`: every backend that could take it failed (5xx, timeout, connection);
 * - `no_backend`: backends map the model but all are down or none serves the API;
 * - `shutting_down`: the process stopped while it waited.
 */
export const UNAVAILABLE_REASONS = [
  "queue_full",
  "queue_timeout",
  "upstream_failed",
  "no_backend",
  "shutting_down",
] as const;

/** One of {@link UNAVAILABLE_REASONS}. */
export type UnavailableReason = (typeof UNAVAILABLE_REASONS)[number];

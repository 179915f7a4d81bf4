/**
 * How long a response id is remembered: a day. Agents continue a response within their
 * session, minutes apart; a day covers a long session without holding ids for ever.
 */
export const RESPONSE_AFFINITY_TTL_MS = 24 * 3_600_000;

/** Ids remembered at most; past it the oldest are forgotten first (about 100 bytes each). */
export const RESPONSE_AFFINITY_MAX = 200_000;

/** Which backend produced which Responses API response, see {@link createResponseAffinity}. */
export type ResponseAffinity = ReturnType<typeof createResponseAffinity>;

/**
 * Remembers, in memory, the backend that produced each Responses API response, so a request
 * continuing it (`previous_response_id`) or reading it (`GET /v1/responses/{id}`) goes where
 * the response is stored: another backend would not know the id. Entries live
 * {@link RESPONSE_AFFINITY_TTL_MS}; at most {@link RESPONSE_AFFINITY_MAX} are kept. Insertion
 * order is expiry order (one TTL for all), so expired entries are dropped from the front in
 * O(1) per insert.
 */
export function createResponseAffinity(opts: { ttlMs?: number; max?: number } = {}): {
  remember(responseId: string, backendId: string, nowMs: number): void;
  backendOf(responseId: string, nowMs: number): string | undefined;
  readonly size: number;
} {
  const ttlMs = opts.ttlMs ?? RESPONSE_AFFINITY_TTL_MS;
  const max = opts.max ?? RESPONSE_AFFINITY_MAX;
  const entries = new Map<string, { backendId: string; expiresMs: number }>();
  return {
    /** Records that `backendId` produced `responseId` at `nowMs`. */
    remember(responseId, backendId, nowMs) {
      entries.delete(responseId);
      entries.set(responseId, { backendId, expiresMs: nowMs + ttlMs });
      for (const [id, e] of entries) {
        if (e.expiresMs > nowMs && entries.size <= max) break;
        entries.delete(id);
      }
    },
    /** The backend that produced `responseId`, while remembered. */
    backendOf(responseId, nowMs) {
      const e = entries.get(responseId);
      return e && e.expiresMs > nowMs ? e.backendId : undefined;
    },
    get size() {
      return entries.size;
    },
  };
}

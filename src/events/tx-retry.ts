/** SQLSTATE codes after which a whole transaction may simply run again. */
const RETRYABLE = new Set([
  "23505", // unique_violation: a concurrent ingest opened the same fingerprint first
  "40001", // serialization_failure
  "40P01", // deadlock_detected
]);

/** The SQLSTATE of a driver error (postgres.js, PGlite), possibly wrapped in `cause`. */
export function sqlState(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Runs `fn` (a whole transaction) and runs it again, up to `attempts` times in all, when it
 * failed on a conflict with a concurrent transaction. Other errors are thrown at once.
 */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const state = sqlState(err);
      if (i >= attempts || state === undefined || !RETRYABLE.has(state)) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * i));
    }
  }
}

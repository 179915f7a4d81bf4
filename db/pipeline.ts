/**
 * `Promise.all` for statements sent together on one transaction: waits until every one has
 * settled, then resolves to their values in order, or rejects with the first error in
 * argument order.
 *
 * Why not `Promise.all`: it rejects at the first failure while the other statements (and
 * the code that would follow them) are still running; the transaction would then be rolled
 * back and its connection released while they still use it. Waiting for all keeps every
 * statement of a transaction inside it. After a failure Postgres refuses the rest of the
 * transaction ("current transaction is aborted"), so the wait is short.
 */
export async function pipeline<T extends readonly unknown[]>(
  values: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(values);
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

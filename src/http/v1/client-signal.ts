import type { Socket } from "node:net";

const signals = new WeakMap<Socket, AbortSignal>();

/**
 * A signal aborted when the client's connection closes: what the upstream request of a `/v1`
 * call listens to, so a client that goes away cancels its upstream call.
 *
 * One per connection, not per request: over HTTP/1.1 an answer is cut short only by its
 * connection closing, so "this connection closed" is "the client went away before its answer
 * was written" for every request in flight on it, and a keep-alive connection serving
 * thousands of requests makes one AbortController, not thousands (one per request was about
 * 5 % of the proxy's CPU, docs/performance.md). Listeners are added per request and removed
 * when it ends (undici removes its own when the upstream body closes; the wait queue when it
 * stops waiting), so they do not pile up on a long-lived connection.
 */
export function clientSignal(socket: Socket): AbortSignal {
  let signal = signals.get(socket);
  if (signal === undefined) {
    const abort = new AbortController();
    signal = abort.signal;
    if (socket.destroyed) abort.abort();
    else socket.once("close", () => abort.abort());
    signals.set(socket, signal);
  }
  return signal;
}

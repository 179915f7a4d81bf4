import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import type { AbortEmitter } from "../../proxy/proxy-call.ts";

/** The per-connection abort signal: `aborted` once the connection closed. */
class ConnectionClosed extends EventEmitter implements AbortEmitter {
  aborted = false;
}

const signals = new WeakMap<Socket, ConnectionClosed>();

/**
 * A signal aborted when the client's connection closes: what the upstream request of a `/v1`
 * call listens to, so a client that goes away cancels its upstream call.
 *
 * One per connection, not per request: over HTTP/1.1 an answer is cut short only by its
 * connection closing, so "this connection closed" is "the client went away before its answer
 * was written" for every request in flight on it, and a keep-alive connection serving
 * thousands of requests makes one signal, not thousands (an AbortController per request was
 * about 5 % of the proxy's CPU, docs/performance.md). It is an EventEmitter, which undici
 * takes as its `signal`: adding and removing its listener, once per request, costs less than
 * on an AbortSignal. Listeners are removed when their request ends (undici's when the
 * upstream body closes, the wait queue's when it stops waiting), so they do not pile up on a
 * long-lived connection; any number may be in flight (pipelined requests), hence no
 * listener limit.
 */
export function clientSignal(socket: Socket): AbortEmitter {
  let signal = signals.get(socket);
  if (signal === undefined) {
    const s = new ConnectionClosed();
    s.setMaxListeners(0);
    const abort = () => {
      s.aborted = true;
      s.emit("abort");
    };
    if (socket.destroyed) s.aborted = true;
    else socket.once("close", abort);
    signals.set(socket, s);
    signal = s;
  }
  return signal;
}

import { PassThrough, Readable } from "node:stream";
import type { FastifyInstance } from "fastify";

/** The SSE event a stream still open at the end of the grace gets before it is closed. */
export const SHUTDOWN_EVENT = `event: error\ndata: ${JSON.stringify({
  error: {
    message: "the server is shutting down; retry the request",
    type: "server_shutting_down",
  },
})}\n\n`;

/** How a drain went. */
export interface DrainResult {
  /** Every request finished within the grace. */
  drained: boolean;
  /** Streams ended with {@link SHUTDOWN_EVENT}. */
  cut: number;
  /** Connections closed with a request still in flight. */
  forced: boolean;
}

/** Time cut streams get to flush their last event before connections are closed (ms). */
const FLUSH_MS = 1000;
/** How often connections that became idle during the drain are closed (ms). */
const IDLE_SWEEP_MS = 100;

/**
 * Graceful drain of `http` (Hono's SSE helper ends a stream with an error event rather than
 * a silent close; Node's `server.close()` stops accepting but keeps requests in flight).
 * Installs an `onSend` hook that tracks every `text/event-stream` response, so any Fastify
 * streaming route can be cut cleanly without knowing about shutdown; the `/v1` handler, which
 * answers outside Fastify, tracks its streams with `track`.
 */
export function createHttpDrain(http: FastifyInstance) {
  const streams = new Set<() => void>();

  // Callback style: no promise per response on the hot path.
  http.addHook("onSend", (_req, reply, payload, done) => {
    if (!(payload instanceof Readable)) return done(null, payload);
    const type = String(reply.getHeader("content-type") ?? "");
    done(null, type.startsWith("text/event-stream") ? track(payload) : payload);
  });

  /** A stream that relays `source` and, when cut, ends with {@link SHUTDOWN_EVENT}. */
  function track(source: Readable): Readable {
    const out = new PassThrough();
    const cut = () => {
      if (out.writableEnded || out.destroyed) return;
      source.unpipe(out);
      source.destroy();
      out.end(SHUTDOWN_EVENT);
    };
    streams.add(cut);
    source.once("error", (err) => out.destroy(err));
    out.once("close", () => {
      streams.delete(cut);
      if (!source.destroyed) source.destroy();
    });
    source.pipe(out);
    return out;
  }

  return {
    /** Streams in flight. */
    streams: () => streams.size,
    /**
     * Tracks an SSE stream answered outside Fastify (the `/v1` handler): the stream to send
     * instead, which the drain can end with {@link SHUTDOWN_EVENT}.
     */
    track,
    /**
     * Stops accepting connections, lets requests and streams in flight finish for `graceMs`,
     * then ends the streams still open with {@link SHUTDOWN_EVENT} and, after a second to
     * flush it, closes every connection left. Resolves when the server is closed.
     */
    async close(graceMs: number): Promise<DrainResult> {
      const closed = http.close();
      // server.close() closes the connections idle at that moment; a keep-alive connection
      // whose response ends later would otherwise wait for its keep-alive timeout (72 s).
      const sweep = setInterval(() => http.server.closeIdleConnections(), IDLE_SWEEP_MS);
      try {
        if (await settlesWithin(closed, graceMs)) return { drained: true, cut: 0, forced: false };
        const cut = streams.size;
        for (const c of [...streams]) c();
        if (await settlesWithin(closed, FLUSH_MS)) return { drained: false, cut, forced: false };
        http.server.closeAllConnections();
        await closed;
        return { drained: false, cut, forced: true };
      } finally {
        clearInterval(sweep);
      }
    },
  };
}

/** Whether `p` settles within `ms` (it keeps running either way). */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The drain of an HTTP server. */
export type HttpDrain = ReturnType<typeof createHttpDrain>;

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TelegramServer } from "telegram-test-api/lib/telegramServer.js";

/** One getUpdates answer the relay gave. */
export interface PollRecord {
  at: number;
  offset: number;
  updateIds: number[];
}

/** A Bot API in front of the emulator with Telegram's getUpdates semantics. */
export interface BotApiRelay {
  /** The `TELEGRAM_API_ROOT` to give the replicas. */
  apiRoot: string;
  /** Every getUpdates answer, in order. */
  polls: PollRecord[];
  /** How many times each update id was handed out. */
  handedOut(): Map<number, number>;
  close(): Promise<void>;
}

interface Queued {
  update: { update_id: number };
  given: number;
}

/**
 * Starts a relay for multi-replica tests. The telegram-test-api emulator marks an update
 * read the moment any getUpdates returns it and answers at once; Telegram instead keeps an
 * update until a later call confirms it with `offset` > its id, holds a long poll up to
 * `timeout` seconds, and ends an older pending call with 409 when a newer one arrives. The
 * relay does the same over the emulator's updates, so a poller killed before confirming
 * leaves its updates to the next one. With `handOutTwice`, each update is also kept until it
 * was handed out twice (as after a crash between handling and confirming), which makes
 * every poll deliver it again once. Every other method is passed to the emulator.
 */
export async function startBotApiRelay(opts: {
  emulator: TelegramServer;
  emulatorRoot: string;
  token: string;
  handOutTwice?: boolean;
}): Promise<BotApiRelay> {
  const queue: Queued[] = [];
  const polls: PollRecord[] = [];
  const counts = new Map<number, number>();
  let pending: { res: ServerResponse; done: () => void } | undefined;

  const pull = () => {
    for (const u of opts.emulator.getUpdates(opts.token) as { update_id: number }[])
      queue.push({ update: u, given: 0 });
  };

  async function getUpdates(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const offset = Number(body.offset ?? 0);
    const timeoutMs = Math.min(Number(body.timeout ?? 0), 10) * 1000;
    // A newer call ends the older one, as Telegram does.
    if (pending) {
      const older = pending;
      pending = undefined;
      send(older.res, 409, {
        ok: false,
        error_code: 409,
        description: "Conflict: terminated by other getUpdates request",
      });
      older.done();
    }
    const deadline = Date.now() + timeoutMs;
    let closed = false;
    res.once("close", () => {
      closed = true;
    });
    await new Promise<void>((resolve) => {
      const me = { res, done: resolve };
      pending = me;
      const tick = () => {
        if (pending !== me) return resolve();
        if (closed) {
          pending = undefined;
          return resolve();
        }
        pull();
        const minGiven = opts.handOutTwice ? 2 : 1;
        for (let i = queue.length - 1; i >= 0; i--) {
          const q = queue[i] as Queued;
          if (q.update.update_id < offset && q.given >= minGiven) queue.splice(i, 1);
        }
        if (queue.length > 0 || Date.now() >= deadline) {
          pending = undefined;
          const batch = queue.slice(0, 100);
          for (const q of batch) {
            q.given++;
            counts.set(q.update.update_id, (counts.get(q.update.update_id) ?? 0) + 1);
          }
          polls.push({ at: Date.now(), offset, updateIds: batch.map((q) => q.update.update_id) });
          send(res, 200, { ok: true, result: batch.map((q) => q.update) });
          return resolve();
        }
        setTimeout(tick, 25);
      };
      tick();
    });
  }

  async function forward(req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    const upstream = await fetch(`${opts.emulatorRoot}${req.url}`, {
      method: req.method,
      headers: { "content-type": req.headers["content-type"] ?? "application/json" },
      body: req.method === "GET" || req.method === "HEAD" ? undefined : raw,
    });
    res.writeHead(upstream.status, { "content-type": "application/json" });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  }

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    try {
      if (req.url?.endsWith("/getUpdates")) {
        const body =
          raw.length > 0 ? (JSON.parse(raw.toString("utf8")) as Record<string, unknown>) : {};
        return await getUpdates(body, res);
      }
      await forward(req, raw, res);
    } catch (err) {
      if (!res.headersSent)
        send(res, 502, { ok: false, error_code: 502, description: String(err) });
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    polls,
    handedOut: () => new Map(counts),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A load balancer for tests: each request goes to the next target in turn. */
export interface RoundRobin {
  url: string;
  /** Replaces the targets (base URLs). */
  setTargets(targets: readonly string[]): void;
  /** Requests answered per target base URL. */
  served: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Starts a round-robin HTTP balancer, like any load balancer in front of replicas in webhook
 * mode. `headers` are added to each forwarded request (the emulator never sends Telegram's
 * secret-token header, a proxy in a test can). A target that does not answer is skipped.
 */
export async function startRoundRobin(
  targets: readonly string[],
  headers: Record<string, string> = {},
): Promise<RoundRobin> {
  let list = [...targets];
  let next = 0;
  const served = new Map<string, number>();
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    for (let tries = 0; tries < list.length; tries++) {
      const target = list[next++ % list.length] as string;
      try {
        const answer = await fetch(`${target}${req.url}`, {
          method: req.method,
          headers: {
            "content-type": req.headers["content-type"] ?? "application/json",
            ...headers,
          },
          body: req.method === "GET" ? undefined : body,
        });
        served.set(target, (served.get(target) ?? 0) + 1);
        res.writeHead(answer.status, {
          "content-type": answer.headers.get("content-type") ?? "application/json",
        });
        res.end(Buffer.from(await answer.arrayBuffer()));
        return;
      } catch {
        /* target down: try the next one */
      }
    }
    res.writeHead(502).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setTargets: (t) => {
      list = [...t];
    },
    served,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

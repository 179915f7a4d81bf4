/**
 * The reference of `npm run bench:proxy`: the least a proxy hop can do, a bare `node:http`
 * server relaying each request to one upstream with undici. It reads the JSON body, puts
 * the upstream's model name in it (the one rewrite every OpenAI proxy makes), forwards it
 * with the upstream key over a keep-alive undici pool, reads the whole answer and writes it
 * back with its status and content type. No routing, accounting, auth or logging.
 *
 * Run as its own process: `UPSTREAM=http://127.0.0.1:<port> MODEL=<native> PORT=0 tsx
 * scripts/bench-relay.ts`; it prints `listening on http://127.0.0.1:<port>`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";

const upstream = process.env.UPSTREAM ?? "";
const model = process.env.MODEL ?? "";
const pool = new Pool(upstream, { connections: 128, pipelining: 1 });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    body.model = model;
    pool
      .request({
        method: "POST",
        path: req.url ?? "/",
        headers: { "content-type": "application/json", authorization: "Bearer sk-relay" },
        body: JSON.stringify(body),
      })
      .then(async (up) => {
        const answer = Buffer.from(await up.body.arrayBuffer());
        res.writeHead(up.statusCode, {
          "content-type": String(up.headers["content-type"] ?? "application/json"),
          "content-length": answer.length,
        });
        res.end(answer);
      })
      .catch((err: unknown) => {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(String(err));
      });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  void pool.close().then(() => process.exit(0));
});

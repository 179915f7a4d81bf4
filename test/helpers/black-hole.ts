import { createServer, type IncomingMessage, type Server } from "node:http";
import { freePort } from "./telegram.ts";

/** A Bot API stand-in that never answers sends. */
export interface BlackHole {
  url: string;
  /** sendMessage calls received (none answered). */
  sends(): number;
  close(): void;
}

/**
 * A Bot API that answers getMe, setWebhook and the like but swallows sendMessage without
 * ever answering: the process that calls it has claimed the delivery and is mid-send.
 */
export async function startBlackHole(): Promise<BlackHole> {
  let sends = 0;
  const held: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    const method = req.url?.split("/").pop() ?? "";
    if (method === "sendMessage") {
      sends++;
      held.push(req);
      return;
    }
    const result =
      method === "getMe"
        ? { id: 123456, is_bot: true, first_name: "cp", username: "cp_bot" }
        : true;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true, result }));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${port}`,
    sends: () => sends,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

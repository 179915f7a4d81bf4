import type { FastifyInstance } from "fastify";
import type { HeartbeatService } from "../../heartbeats/heartbeat-service.ts";

/**
 * `POST /api/heartbeats/:agent`, registered inside the ingest scope (bearer
 * `INGEST_TOKEN`). Body `{ class?, status, task?, round?, note? }`; answers 200
 * `{ "action": "continue" }`, or `{ "action": "pause", "reason": "…" }` once the agent reached
 * its class's max rounds on its current task. 400 names the bad field (`agent`, `class`,
 * `status`, `task`, `round`, `note`); nothing is stored then.
 */
export function registerHeartbeatRoute(app: FastifyInstance, heartbeats: HeartbeatService): void {
  app.post<{ Params: { agent: string } }>("/api/heartbeats/:agent", async (req) =>
    heartbeats.beat(req.params.agent, req.body),
  );
}

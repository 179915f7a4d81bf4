import type { FastifyInstance } from "fastify";
import type { AiderService } from "../../aider/aider-service.ts";

/** Body limit of `POST /api/aider/events`: a flush of 500 events may carry raw chunks. */
const AIDER_BODY_LIMIT = 8 * 1024 * 1024;

/**
 * `POST /api/aider/events`, registered inside the ingest scope (bearer
 * `INGEST_TOKEN`): one event or an array of up to 500 (src/aider/aider-event-schema.ts).
 * 202 `{accepted, duplicates}` once stored; ids already stored count as duplicates and
 * change nothing. 400 names the first bad field (`1.payload.lines_added`); nothing is
 * stored then.
 */
export function registerAiderIngestRoute(app: FastifyInstance, aider: AiderService): void {
  app.post("/api/aider/events", { bodyLimit: AIDER_BODY_LIMIT }, async (req, reply) => {
    const result = await aider.ingest(req.body);
    return reply.code(202).send(result);
  });
}

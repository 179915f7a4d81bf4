import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { SmokeRunRow } from "../../../db/schema/index.ts";
import type { HistoryCursor, SmokeStore } from "../../smoke/smoke-store.ts";
import { parseInput } from "../../validation.ts";

const historyQuery = z.object({
  since: z.iso
    .datetime({
      offset: true,
      message: "expected an RFC 3339 time, e.g. 2026-11-23T00:00:00+08:00",
    })
    .optional(),
});

/** Rows read per query while streaming the export. */
const PAGE = 500;

/** One smoke run as an NDJSON line of the export (snake_case, as stored: compact). */
export function smokeRunJson(r: SmokeRunRow) {
  return {
    id: r.id,
    ran_at: r.ranAt.toISOString(),
    trigger: r.trigger,
    overall: r.overall,
    duration_ms: r.durationMs,
    checks: r.checks,
  };
}

async function* lines(store: Pick<SmokeStore, "page">, since: Date): AsyncGenerator<string> {
  let cursor: HistoryCursor | undefined;
  for (;;) {
    const rows = await store.page(since, cursor, PAGE);
    for (const r of rows) yield `${JSON.stringify(smokeRunJson(r))}\n`;
    const last = rows.at(-1);
    if (!last || rows.length < PAGE) return;
    cursor = { ranAt: last.ranAt, id: last.id };
  }
}

/**
 * `GET /api/admin/smoke/history` (README, HTTP surface;
 * JSONL export): the stored smoke runs from `?since=` (RFC 3339; default: all that retention
 * kept) as `application/x-ndjson`, oldest first, one run per line, streamed page by page.
 * A bad `since` is a 400 naming the field. Registered inside the admin scope (ADMIN_TOKEN).
 */
export function registerSmokeAdminRoutes(
  admin: FastifyInstance,
  deps: { store: Pick<SmokeStore, "page"> },
): void {
  admin.get("/api/admin/smoke/history", async (req, reply) => {
    const q = parseInput(historyQuery, req.query);
    const since = q.since ? new Date(q.since) : new Date(0);
    return reply
      .type("application/x-ndjson; charset=utf-8")
      .send(Readable.from(lines(deps.store, since)));
  });
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Db } from "../../db/client.ts";
import { loadConfig } from "../../src/config.ts";
import { createMetrics } from "../../src/metrics.ts";
import { renderSmokeRun } from "../../src/notifications/views/smoke-summary.ts";
import { createSmokeService } from "../../src/smoke/smoke-service.ts";
import type { SmokeStore } from "../../src/smoke/smoke-store.ts";
import { fakeClock } from "../helpers/clock.ts";
import { testLogger } from "../helpers/logger.ts";
import { plain } from "../helpers/telegram.ts";

const down = () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432"));
/** A drizzle handle whose every query fails as with the database gone. */
const deadDb = new Proxy(
  {},
  { get: () => () => ({ from: () => ({ where: down }) }) },
) as unknown as Db;

describe("smoke service with the database down", () => {
  it("still answers: every database check critical with the reason, nothing stored, nothing thrown", async () => {
    const ingested: unknown[] = [];
    const service = createSmokeService({
      db: deadDb,
      ping: down,
      outbox: { stats: down },
      backends: async () => [],
      runs: { latest: down },
      clock: fakeClock(),
      timeZone: "Asia/Taipei",
      thresholds: loadConfig({}).smoke.thresholds,
      scheduleSince: new Date(0),
      store: { insert: down } as unknown as SmokeStore,
      router: {
        ingest: async (e) => {
          ingested.push(...e);
          return [];
        },
      },
      logger: testLogger,
      metrics: createMetrics(),
    });
    const run = await service.run("command");
    assert.equal(run.overall, "critical");
    assert.equal(run.saved, false);
    const status = Object.fromEntries(run.results.map((r) => [r.name, r.status]));
    for (const name of [
      "database",
      "outbox_backlog",
      "outbox_dead",
      "incidents",
      "heal_plans",
      "schedules",
    ]) {
      assert.equal(status[name], "critical", name);
    }
    assert.equal(
      ingested.length,
      0,
      "raising alerts needs the database too; it is logged, not thrown",
    );
    const text = plain(renderSmokeRun(run, undefined, "Asia/Taipei"));
    assert.match(text, /🔴 database — check failed: connect ECONNREFUSED 127\.0\.0\.1:5432/);
    assert.match(text, /this run could not be stored in the history/);
    assert.match(text, /Last 24 h: history unavailable/);
  });
});

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import {
  alerts,
  healAudit,
  healPlans,
  humanDecisions,
  incidents,
  mutes,
} from "../../db/schema/index.ts";
import { testDatabases } from "../helpers/db.ts";

/** The backfill statements of the migration that added `human_decisions`. */
function backfill(): string[] {
  const file = readFileSync(
    new URL("../../db/migrations/0006_triage_autonomy.sql", import.meta.url),
    "utf8",
  );
  const part = file.slice(file.indexOf("-- Human decisions made before"));
  return part
    .split("--> statement-breakpoint")
    .map((s) => s.replace(/^--.*$/gm, "").trim())
    .filter((s) => s.startsWith("INSERT"));
}

const at = new Date("2026-11-20T01:00:00Z");
const alert = {
  fingerprint: "fp",
  source: "am",
  type: "X",
  severity: "critical" as const,
  title: "X",
  labels: {},
  startedAt: at,
  lastEventAt: at,
};

for (const kind of testDatabases()) {
  describe(`the human decisions backfill on ${kind.name}`, () => {
    let database: Database;
    before(async () => {
      database = await kind.open();
    });
    after(() => database.close());

    it("reads decisions made before the table existed back from the rows they changed", async () => {
      const { db } = database;
      await db.insert(incidents).values([
        {
          id: "I1",
          title: "X",
          severity: "critical",
          status: "resolved",
          fingerprint: "fp",
          openedAt: at,
          resolvedBy: "Bob",
          resolvedAt: at,
        },
        {
          id: "I2",
          title: "X",
          severity: "critical",
          status: "resolved",
          fingerprint: "fp2",
          openedAt: at,
          resolvedBy: "auto (all alerts resolved)",
          resolvedAt: at,
        },
      ]);
      await db.insert(alerts).values([
        {
          ...alert,
          id: "A1",
          status: "firing",
          incidentId: "I1",
          acknowledgedBy: "Ada",
          acknowledgedAt: at,
        },
        {
          ...alert,
          id: "A2",
          status: "resolved",
          fingerprint: "fp2",
          incidentId: "I2",
          resolvedAt: at,
        },
      ]);
      await db.insert(mutes).values({
        id: "M1",
        matchers: [],
        startsAt: at,
        endsAt: at,
        createdBy: "Cy",
        createdAt: at,
        alertId: "A2",
      });
      await db.insert(healPlans).values({
        id: "P1",
        kind: "restart",
        target: "t",
        rationale: "r",
        proposedBy: "agent",
        risk: "low",
        incidentId: "I1",
        contentHash: "h",
        status: "rejected",
        expiresAt: at,
        createdAt: at,
      });
      await db.insert(healAudit).values([
        { id: "U1", planId: "P1", at, actor: "agent", step: "proposed", contentHash: "h" },
        { id: "U2", planId: "P1", at, actor: "Dee", step: "rejected", contentHash: "h" },
      ]);
      for (const stmt of backfill()) await db.execute(sql.raw(stmt));
      const rows = await db.select().from(humanDecisions);
      const seen = rows
        .map((r) => `${r.action}:${r.actor}:${r.alertId ?? r.planId ?? r.incidentId}`)
        .sort();
      assert.deepEqual(seen, [
        "acknowledge:Ada:A1",
        "heal_reject:Dee:P1",
        "mute:Cy:A2",
        "resolve:Bob:I1",
      ]);
    });
  });
}

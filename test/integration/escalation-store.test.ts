import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Database } from "../../db/client.ts";
import { escalations } from "../../db/schema/index.ts";
import { createEscalationStore } from "../../src/notifications/escalation-store.ts";
import { testDatabases } from "../helpers/db.ts";

const MIN = 60_000;
const steps = [{ afterMs: 15 * MIN, receiver: "leads" }];

for (const kind of testDatabases()) {
  describe(`escalation store on ${kind.name}`, () => {
    let database: Database;
    before(async () => {
      database = await kind.open();
    });
    after(() => database.close());

    it("arms many alerts in one call: steps from now, repeats; alerts without timers get no row", async () => {
      const store = createEscalationStore(database.db);
      const now = new Date("2026-11-27T08:00:00Z");
      await database.db.transaction((tx) =>
        store.armMany(
          [
            { alertId: "A-steps", timers: { steps, repeatIntervalMs: null } },
            { alertId: "A-repeat", timers: { steps: [], repeatIntervalMs: 2 * 3600_000 } },
            { alertId: "A-none", timers: { steps: [], repeatIntervalMs: null } },
          ],
          now,
          tx,
        ),
      );
      const rows = await store.getMany(["A-steps", "A-repeat", "A-none"]);
      assert.deepEqual([...rows.keys()].sort(), ["A-repeat", "A-steps"]);
      const s = rows.get("A-steps");
      assert.deepEqual(s?.steps, steps);
      assert.equal(s?.nextStep, 0);
      assert.equal(s?.escalateAt?.toISOString(), "2026-11-27T08:15:00.000Z");
      assert.equal(s?.repeatAt, null);
      assert.deepEqual(s?.escalated, []);
      const r = rows.get("A-repeat");
      assert.equal(r?.escalateAt, null);
      assert.equal(r?.repeatIntervalS, 7200);
      assert.equal(r?.repeatAt?.toISOString(), "2026-11-27T10:00:00.000Z");
    });

    it("arming again (a re-notification) moves only the next repeat; an escalation keeps its schedule", async () => {
      const store = createEscalationStore(database.db);
      const later = new Date("2026-11-27T09:00:00Z");
      await database.db.transaction((tx) =>
        store.armMany(
          [
            { alertId: "A-steps", timers: { steps, repeatIntervalMs: 3600_000 } },
            { alertId: "A-repeat", timers: { steps: [], repeatIntervalMs: 2 * 3600_000 } },
          ],
          later,
          tx,
        ),
      );
      const rows = await store.getMany(["A-steps", "A-repeat"]);
      assert.equal(rows.get("A-steps")?.escalateAt?.toISOString(), "2026-11-27T08:15:00.000Z");
      assert.equal(rows.get("A-steps")?.repeatAt?.toISOString(), "2026-11-27T10:00:00.000Z");
      assert.equal(rows.get("A-repeat")?.repeatAt?.toISOString(), "2026-11-27T11:00:00.000Z");
      assert.equal((await database.db.select().from(escalations)).length, 2);
    });

    it("sends nothing when no alert has a timer", async () => {
      const store = createEscalationStore(database.db);
      await store.armMany([], new Date(), database.db);
      await store.arm("A-none", { steps: [], repeatIntervalMs: null }, new Date(), database.db);
      assert.equal((await database.db.select().from(escalations)).length, 2);
    });
  });
}

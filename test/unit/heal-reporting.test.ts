import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { healPlanStats } from "../../src/reports/report-stats.ts";
import { checkHealPlans } from "../../src/smoke/checks-heal.ts";

const now = new Date("2026-11-23T01:00:00Z");
const th = { healRunningMs: 15 * 60_000 };
const ago = (min: number) => new Date(now.getTime() - min * 60_000);
const facts = { pending: 0, running: [], failed24h: 0, reverted24h: 0 };

describe("heal_plans smoke check", () => {
  it("is ok with pending and recently started plans: they wait for a person or are working", () => {
    const r = checkHealPlans(
      { ...facts, pending: 2, running: [{ target: "momo-app", startedAt: ago(3) }] },
      now,
      th,
    );
    assert.deepEqual(r, {
      name: "heal_plans",
      status: "ok",
      detail: "2 pending, 1 running · 24 h: 0 failed, 0 reverted",
    });
  });

  it("warns about a plan running longer than the fixer timeout + L4 window", () => {
    const r = checkHealPlans(
      {
        ...facts,
        running: [
          { target: "a", startedAt: ago(20) },
          { target: "services/app.py", startedAt: ago(95) },
          { target: "b", startedAt: ago(1) },
        ],
      },
      now,
      th,
    );
    assert.equal(r.status, "warning");
    assert.match(r.detail, /stuck: services\/app\.py running 1h 35m \(\+1 more\)$/);
  });

  it("warns when a plan failed or was reverted in the last 24 h", () => {
    assert.equal(checkHealPlans({ ...facts, failed24h: 1 }, now, th).status, "warning");
    const r = checkHealPlans({ ...facts, reverted24h: 2 }, now, th);
    assert.equal(r.status, "warning");
    assert.match(r.detail, /24 h: 0 failed, 2 reverted/);
  });
});

describe("heal plan report counts", () => {
  it("counts the audit steps it knows and ignores the intermediate ones", () => {
    assert.deepEqual(
      healPlanStats([
        { step: "proposed", n: 4 },
        { step: "approved", n: 3 },
        { step: "running", n: 3 },
        { step: "fixer_finished", n: 2 },
        { step: "succeeded", n: 1 },
        { step: "failed", n: 1 },
        { step: "refused", n: 1 },
        { step: "rejected", n: 1 },
      ]),
      {
        proposed: 4,
        approved: 3,
        rejected: 1,
        expired: 0,
        succeeded: 1,
        reverted: 0,
        failed: 1,
        refused: 1,
      },
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InputError } from "../../src/errors.ts";
import { parseApiEvents } from "../../src/events/api-event.ts";
import { computeFingerprint } from "../../src/events/fingerprint.ts";
import { fakeClock } from "../helpers/clock.ts";

const clock = fakeClock();
const example = {
  source: "momo-app",
  type: "aider_heal_event",
  severity: "warning",
  status: "firing",
  title: "AiderHeal started",
  summary: "…",
  labels: { service: "momo-app" },
  occurred_at: "2026-04-29T09:10:00+08:00",
};

describe("POST /api/events body", () => {
  it("accepts the README's example as written", () => {
    const { events, batch } = parseApiEvents(example, clock);
    assert.equal(batch, false);
    assert.equal(events[0]?.occurredAt.toISOString(), "2026-04-29T01:10:00.000Z");
    assert.equal(
      events[0]?.fingerprint,
      computeFingerprint("momo-app", "aider_heal_event", { service: "momo-app" }),
    );
  });

  it("fills defaults: firing, no labels, received now, and keeps a given fingerprint", () => {
    const { events } = parseApiEvents(
      { source: "s", type: "t", severity: "info", title: "x", fingerprint: "abc" },
      clock,
    );
    assert.equal(events[0]?.status, "firing");
    assert.deepEqual(events[0]?.labels, {});
    assert.equal(events[0]?.occurredAt.getTime(), clock.now().getTime());
    assert.equal(events[0]?.fingerprint, "abc");
  });

  it("names the offending field", () => {
    const field = (body: unknown) => {
      try {
        parseApiEvents(body, clock);
      } catch (err) {
        assert.ok(err instanceof InputError);
        return err.field;
      }
      return "accepted";
    };
    assert.equal(field({ ...example, occurred_at: "2026-04-29 09:10" }), "occurred_at");
    assert.equal(field({ ...example, occurred_at: "2026-04-29T09:10:00" }), "occurred_at");
    assert.equal(field({ ...example, source: "" }), "source");
    assert.equal(field({ ...example, status: "open" }), "status");
    assert.equal(field([example, { ...example, title: undefined }]), "1.title");
    assert.equal(field([]), "body");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alertInputOf } from "../../src/aider/aider-alerts.ts";

describe("aider alerts", () => {
  it("a silent session's summary says how long it was quiet the way people read it", () => {
    const input = alertInputOf(
      {
        id: "e1",
        ts: new Date("2026-11-26T10:00:00Z"),
        sessionId: "s1",
        type: "silent_timeout",
        payload: { idle_sec: 130, last_output_tail: "  Tokens: 4.2k sent  " },
      },
      "awoooi",
    );
    assert.equal(input?.title, "aider silent · awoooi");
    assert.equal(input?.summary, "No output for 2m 10s; last: Tokens: 4.2k sent");
  });
});

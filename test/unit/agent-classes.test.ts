import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/errors.ts";
import {
  type AgentClass,
  DEFAULT_AGENT_CLASSES,
  DEFAULT_CLASS,
  parseAgentClasses,
  roundsWarnAt,
} from "../../src/heartbeats/agent-classes.ts";

const MIN = 60;

describe("agent classes (default thresholds)", () => {
  it("holds the three classes of the parameter matrix, development by default", () => {
    assert.equal(DEFAULT_CLASS, "development");
    const row = (n: string) => {
      const c = DEFAULT_AGENT_CLASSES[n];
      assert.ok(c, n);
      return [c.periodS / MIN, c.stallS / MIN, c.escalateS / MIN, c.maxRounds];
    };
    assert.deepEqual(row("high_frequency"), [10, 20, 30, 50]);
    assert.deepEqual(row("development"), [15, 30, 45, 100]);
    assert.deepEqual(row("business"), [15, 30, 45, 30]);
  });

  it("warns at 80 % of max rounds, rounded up", () => {
    const c = DEFAULT_AGENT_CLASSES;
    assert.equal(roundsWarnAt(c.high_frequency as AgentClass), 40);
    assert.equal(roundsWarnAt(c.development as AgentClass), 80);
    assert.equal(roundsWarnAt(c.business as AgentClass), 24);
    assert.equal(roundsWarnAt({ ...(c.business as AgentClass), maxRounds: 7 }), 6);
  });

  it("returns the defaults when AGENT_CLASSES is unset or blank", () => {
    assert.deepEqual(parseAgentClasses(undefined), { ...DEFAULT_AGENT_CLASSES });
    assert.deepEqual(parseAgentClasses("  "), { ...DEFAULT_AGENT_CLASSES });
  });

  it("overrides some fields of a known class and keeps the rest", () => {
    const c = parseAgentClasses('{"development":{"max_rounds":150,"stall_s":1200}}');
    assert.deepEqual(c.development, {
      name: "development",
      periodS: 15 * MIN,
      stallS: 1200,
      escalateS: 45 * MIN,
      maxRounds: 150,
    });
    assert.deepEqual(c.business, DEFAULT_AGENT_CLASSES.business, "others untouched");
  });

  it("adds a class given all four fields", () => {
    const c = parseAgentClasses(
      '{"nightly":{"period_s":3600,"stall_s":7200,"escalate_s":10800,"max_rounds":10}}',
    );
    assert.deepEqual(c.nightly, {
      name: "nightly",
      periodS: 3600,
      stallS: 7200,
      escalateS: 10800,
      maxRounds: 10,
    });
    assert.equal(Object.keys(c).length, 4);
  });

  for (const [json, mentions] of [
    ["{not json", "not valid JSON"],
    ["[1,2]", "expected a JSON object"],
    ['"development"', "expected a JSON object"],
    ['{"nightly":{"period_s":60,"stall_s":120,"escalate_s":180}}', "nightly.max_rounds"],
    ['{"development":{"stall_s":-5}}', "development.stall_s"],
    ['{"development":{"stall_s":1.5}}', "development.stall_s"],
    ['{"development":{"max_rounds":"many"}}', "development.max_rounds"],
    ['{"development":{"stall_s":3000}}', "must be below escalate_s"],
    ['{"business":{"period_s":2000}}', "exceeds stall_s"],
    ['{"Dev Team":{"max_rounds":5}}', "class names"],
    ['{"development":{"maxRounds":5}}', "maxRounds"],
    ['{"development":7}', "development"],
  ] as const) {
    it(`stops with a ConfigError naming AGENT_CLASSES for ${json}`, () => {
      assert.throws(
        () => parseAgentClasses(json),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.variable === "AGENT_CLASSES" &&
          err.message.startsWith("AGENT_CLASSES: ") &&
          err.message.includes(mentions) &&
          !err.message.includes("\n"),
      );
    });
  }
});

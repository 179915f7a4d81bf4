import { z } from "zod";
import { ConfigError } from "../errors.ts";

/**
 * An agent class and its thresholds (README.md, Agent heartbeats). Times in seconds.
 * - `periodS`: how often an agent of the class is expected to beat (shown, not enforced);
 * - `stallS`: silence after which it is "suspected stalled" (a warning event);
 * - `escalateS`: silence after which the stall escalates (a critical event, an incident);
 * - `maxRounds`: rounds on one task before it is told to pause (80 % of it warns first).
 */
export interface AgentClass {
  name: string;
  periodS: number;
  stallS: number;
  escalateS: number;
  maxRounds: number;
}

/** The class of an agent that never named one: development, the usual kind (long-running tasks). */
export const DEFAULT_CLASS = "development";

const MIN = 60;

/**
 * The default classes (period / stall / escalate / max rounds): `high_frequency` for
 * coordinating agents that check in often, `development` for long-running build work,
 * `business` for specialist tasks that should finish in fewer rounds.
 */
export const DEFAULT_AGENT_CLASSES: Readonly<Record<string, AgentClass>> = {
  high_frequency: {
    name: "high_frequency",
    periodS: 10 * MIN,
    stallS: 20 * MIN,
    escalateS: 30 * MIN,
    maxRounds: 50,
  },
  development: {
    name: "development",
    periodS: 15 * MIN,
    stallS: 30 * MIN,
    escalateS: 45 * MIN,
    maxRounds: 100,
  },
  business: {
    name: "business",
    periodS: 15 * MIN,
    stallS: 30 * MIN,
    escalateS: 45 * MIN,
    maxRounds: 30,
  },
};

/** Agent and class names: lower-case letters, digits, `_` and `-`, 1–63 characters. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Fraction of `maxRounds` that raises the rounds warning: 80 %, a fifth left before the pause. */
export const ROUNDS_WARN_RATIO = 0.8;

/** The round at which the 80 % warning is raised for `c` (rounded up: 80 of 100, 24 of 30). */
export function roundsWarnAt(c: AgentClass): number {
  return Math.ceil(c.maxRounds * ROUNDS_WARN_RATIO);
}

const seconds = z
  .number({ message: "expected a whole number of seconds" })
  .int("expected a whole number of seconds")
  .min(1, "must be at least 1")
  .max(30 * 86_400, "at most 30 days");
const override = z.strictObject({
  period_s: seconds.optional(),
  stall_s: seconds.optional(),
  escalate_s: seconds.optional(),
  max_rounds: z
    .number({ message: "expected a whole number" })
    .int("expected a whole number")
    .min(1, "must be at least 1")
    .max(1_000_000, "at most 1000000")
    .optional(),
});
const overrides = z.record(z.string(), override);

function fail(message: string): never {
  throw new ConfigError("AGENT_CLASSES", message);
}

/**
 * The classes in force: {@link DEFAULT_AGENT_CLASSES} with `AGENT_CLASSES` applied. The variable is
 * JSON `{"name":{"period_s":…,"stall_s":…,"escalate_s":…,"max_rounds":…}}` (seconds): a known
 * class takes any subset of the four fields, a new class needs all four. Each class must keep
 * period_s ≤ stall_s < escalate_s.
 * @throws ConfigError naming AGENT_CLASSES and the offending class or field.
 * @example parseAgentClasses('{"development":{"max_rounds":150}}').development.maxRounds // 150
 */
export function parseAgentClasses(json: string | undefined): Record<string, AgentClass> {
  const classes: Record<string, AgentClass> = { ...DEFAULT_AGENT_CLASSES };
  if (json === undefined || json.trim() === "") return classes;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    fail("not valid JSON");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    fail('expected a JSON object {"<class>":{"period_s":…,"stall_s":…,…}}');
  for (const name of Object.keys(raw))
    if (!NAME_PATTERN.test(name))
      fail(`"${name.slice(0, 70)}": class names are 1-63 characters of a-z 0-9 _ -`);
  const parsed = overrides.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? []).map(String).join(".");
    fail(`${path ? `${path}: ` : ""}${issue?.message ?? "invalid"}`);
  }
  for (const [name, o] of Object.entries(parsed.data)) {
    const base = classes[name];
    const merged = {
      period_s: o.period_s ?? base?.periodS,
      stall_s: o.stall_s ?? base?.stallS,
      escalate_s: o.escalate_s ?? base?.escalateS,
      max_rounds: o.max_rounds ?? base?.maxRounds,
    };
    for (const [field, value] of Object.entries(merged))
      if (value === undefined) fail(`${name}.${field}: required for a new class`);
    const c: AgentClass = {
      name,
      periodS: merged.period_s as number,
      stallS: merged.stall_s as number,
      escalateS: merged.escalate_s as number,
      maxRounds: merged.max_rounds as number,
    };
    if (c.periodS > c.stallS)
      fail(`${name}: period_s (${c.periodS}) exceeds stall_s (${c.stallS})`);
    if (c.stallS >= c.escalateS)
      fail(`${name}: stall_s (${c.stallS}) must be below escalate_s (${c.escalateS})`);
    classes[name] = c;
  }
  return classes;
}

import { z } from "zod";
import { AGENT_STATUSES, type AgentStatus } from "../../db/schema/index.ts";
import { InputError } from "../errors.ts";
import { parseInput } from "../validation.ts";
import { NAME_PATTERN } from "./agent-classes.ts";

/**
 * One beat as received (`POST /api/heartbeats/:agent`):
 * - `class`: omitted → the agent's current class (new agents: `development`);
 * - `task`: omitted → the agent is still on its current task; `null` → no task;
 * - `round`: the agent's own count of rounds on the task; omitted → unchanged on the same
 *   task, unknown on a new one;
 * - `note`: free text kept with this beat.
 */
export interface Beat {
  agent: string;
  class: string | undefined;
  status: AgentStatus;
  task: string | null | undefined;
  round: number | undefined;
  note: string | null;
}

const bodySchema = z.object(
  {
    class: z
      .string({ message: "expected a class name" })
      .max(63, "at most 63 characters")
      .optional(),
    status: z.enum(AGENT_STATUSES, { message: "expected working, idle, blocked or done" }),
    task: z
      .string({ message: "expected a string or null" })
      .trim()
      .min(1, "must not be empty (send null for no task)")
      .max(200, "at most 200 characters")
      .nullable()
      .optional(),
    round: z
      .number({ message: "expected a non-negative integer" })
      .int("expected a non-negative integer")
      .min(0, "expected a non-negative integer")
      .max(1_000_000, "at most 1000000")
      .optional(),
    note: z
      .string({ message: "expected a string" })
      .max(2000, "at most 2000 characters")
      .nullable()
      .optional(),
  },
  { message: "expected a JSON object" },
);

/**
 * Validates an agent name from the path and a beat body against the known `classes`.
 * @throws InputError (400) naming the field: `agent`, `class` (also an unknown class),
 *   `status`, `task`, `round`, `note` or `body`.
 */
export function parseBeat(agent: string, body: unknown, classes: Record<string, unknown>): Beat {
  if (!NAME_PATTERN.test(agent))
    throw new InputError("agent: expected 1-63 characters of a-z 0-9 _ -, starting a-z or 0-9", {
      field: "agent",
    });
  const b = parseInput(bodySchema, body);
  if (b.class !== undefined && !Object.hasOwn(classes, b.class)) {
    const known = Object.keys(classes).sort().join(", ");
    throw new InputError(`class: unknown class "${b.class}" (known: ${known})`, {
      field: "class",
    });
  }
  return {
    agent,
    class: b.class,
    status: b.status,
    task: b.task,
    round: b.round,
    note: b.note?.trim() || null,
  };
}

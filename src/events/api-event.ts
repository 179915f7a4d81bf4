import { z } from "zod";
import { SEVERITIES } from "../../db/schema/index.ts";
import type { Clock } from "../types.ts";
import { parseInput } from "../validation.ts";
import type { EventInput } from "./event.ts";
import { computeFingerprint } from "./fingerprint.ts";

const name = z.string().trim().min(1, "must not be empty").max(200, "at most 200 characters");
const labelSet = z
  .record(z.string().min(1).max(100), z.string().max(1000, "label values: at most 1000 chars"))
  .refine((l) => Object.keys(l).length <= 50, "at most 50 labels");

/**
 * One event of `POST /api/events` (README, HTTP surface; snake_case). `status` defaults to
 * firing, `occurred_at` (RFC 3339 with an offset) to the time it is received, `fingerprint`
 * to a hash of source, type and labels.
 */
export const apiEventSchema = z.object({
  source: name,
  type: name,
  severity: z.enum(SEVERITIES, { message: "expected critical, warning or info" }),
  status: z
    .enum(["firing", "resolved"], { message: "expected firing or resolved" })
    .default("firing"),
  title: name.max(500, "at most 500 characters"),
  summary: z.string().max(3000, "at most 3000 characters").default(""),
  labels: labelSet.default({}),
  annotations: labelSet.default({}),
  fingerprint: z.string().trim().min(1).max(200).optional(),
  url: z.url().optional(),
  occurred_at: z.iso
    .datetime({ offset: true, local: false, message: "expected an RFC 3339 time with offset" })
    .optional(),
});

/**
 * Parses a `POST /api/events` body into events; `batch` tells whether an array was sent.
 * @throws InputError (400) naming the field, e.g. `severity` or `1.occurred_at`.
 */
export function parseApiEvents(
  body: unknown,
  clock: Clock,
): { events: EventInput[]; batch: boolean } {
  const batch = Array.isArray(body);
  const parsed = batch
    ? parseInput(z.array(apiEventSchema).min(1, "at least one event").max(500), body)
    : [parseInput(apiEventSchema, body)];
  const received = clock.now();
  const events = parsed.map(
    (e): EventInput => ({
      source: e.source,
      type: e.type,
      severity: e.severity,
      status: e.status,
      title: e.title,
      summary: e.summary,
      labels: e.labels,
      annotations: e.annotations,
      fingerprint: e.fingerprint ?? computeFingerprint(e.source, e.type, e.labels),
      generatorUrl: e.url ?? null,
      occurredAt: e.occurred_at ? new Date(e.occurred_at) : received,
    }),
  );
  return { events, batch };
}

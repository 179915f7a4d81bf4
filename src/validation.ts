import type { z } from "zod";
import { InputError } from "./errors.ts";

/**
 * Parses `input` with `schema`.
 * @throws InputError (400) whose message and `field` name the first offending field,
 *   e.g. `models.0.native: expected string`.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix = "",
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join(".");
  const field = path || "body";
  throw new InputError(`${field}: ${issue?.message ?? "invalid"}`, { field });
}

import type { TriageRow } from "../../db/schema/index.ts";

/** What an alert message shows of its latest triage. */
export type TriageView = Pick<
  TriageRow,
  "source" | "model" | "fallbackReason" | "result" | "requestedBy"
>;

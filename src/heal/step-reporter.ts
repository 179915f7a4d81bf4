/** Final state of an execution and why. */
export interface Outcome {
  status: "succeeded" | "failed" | "reverted" | "refused";
  reason: string;
}

/**
 * Records one step: an audit row with `detail`, and, when `progress` is given, an edit of
 * the plan message showing it (guardrail L5: every outcome reaches the chat).
 */
export type StepReporter = (
  step: string,
  detail: Record<string, unknown>,
  progress?: string,
) => Promise<void>;

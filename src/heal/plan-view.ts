import type { HealPlanRow } from "../../db/schema/index.ts";

/** Outbox subject of a plan's message: later edits find it by this. */
export const planSubject = (id: string): string => `plan:${id}`;

/** Plan kinds for people. */
export const KIND_LABEL: Record<HealPlanRow["kind"], string> = {
  code_fix: "Code fix",
  restart: "Restart",
  rollback: "Rollback",
  command: "Command",
};

/** Short plan reference for buttons and lists: the last 8 characters of its ULID. */
export const planRef = (id: string): string => id.slice(-8);

/**
 * What a plan message shows besides the row: computed by the heal service when it renders.
 */
export interface PlanView {
  timeZone: string;
  /** The moment of the rendering, for relative times. */
  now: Date;
  /** The linked incident's number (`#17`), when the plan has one. */
  incidentNumber?: number;
  /**
   * Why the guardrails would refuse the plan now (protected target, file not allowlisted, no
   * command for the kind, repository missing); undefined when they would let it run. A
   * blocked pending plan has no Approve button.
   */
  blocked?: string;
  /** Other plans pending on the same target. */
  sameTarget?: number;
}

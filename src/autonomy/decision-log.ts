import type { DbOrTx } from "../../db/client.ts";
import { type DecisionAction, humanDecisions } from "../../db/schema/index.ts";
import { monotonicFactory } from "../ids.ts";

/** Decision ids sort in the order they were made, even within one millisecond. */
const nextId = monotonicFactory();

/** A decision a person made, and what it was about (any link may be absent). */
export interface HumanDecision {
  action: DecisionAction;
  /** The person, as the bot names them: `Ada (@ada, 42)`. */
  actor: string;
  at: Date;
  alertId?: string | null;
  incidentId?: string | null;
  planId?: string | null;
  muteId?: string | null;
}

/**
 * Records a human decision in `tx`, the transaction that makes the change it decided, so
 * the decision is stored exactly when its effect is. Only call it for a change a person
 * made (a button press, a command): automatic changes are never decisions.
 */
export async function recordDecision(tx: DbOrTx, d: HumanDecision): Promise<void> {
  await tx.insert(humanDecisions).values({
    id: nextId(),
    at: d.at,
    actor: d.actor,
    action: d.action,
    alertId: d.alertId ?? null,
    incidentId: d.incidentId ?? null,
    planId: d.planId ?? null,
    muteId: d.muteId ?? null,
  });
}

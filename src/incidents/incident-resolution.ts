import { and, desc, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.ts";
import { healPlans, type IncidentResolution } from "../../db/schema/index.ts";

/** Plan states that mean the plan ran (or a guardrail stopped it when it was about to). */
const RAN = ["succeeded", "failed", "reverted", "refused", "running"] as const;

/**
 * How an incident being resolved now ended (kept on the incident for symptom memory): who
 * resolved it and the last plan run for it; `how` is `heal_plan` when that plan succeeded,
 * else `by_hand` for a person or `auto` when every alert resolved.
 */
export async function resolutionOf(
  incidentId: string,
  by: string,
  auto: boolean,
  tx: DbOrTx,
): Promise<IncidentResolution> {
  const [plan] = await tx
    .select()
    .from(healPlans)
    .where(and(eq(healPlans.incidentId, incidentId), inArray(healPlans.status, [...RAN])))
    .orderBy(desc(healPlans.createdAt), desc(healPlans.id))
    .limit(1);
  const how = plan?.status === "succeeded" ? "heal_plan" : auto ? "auto" : "by_hand";
  if (!plan) return { by, how };
  const { id, kind, target, status, decidedBy } = plan;
  return { by, how, plan: { id, kind, target, status, decidedBy } };
}

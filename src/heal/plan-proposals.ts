import { eq, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.ts";
import { alerts, type HealPlanRow } from "../../db/schema/index.ts";
import { InputError } from "../errors.ts";
import { ulid } from "../ids.ts";
import type { Notification } from "../notifications/notification.ts";
import type { NotifyTargets } from "../notifications/notification-router.ts";
import type { Publisher } from "../notifications/publisher.ts";
import type { Clock } from "../types.ts";
import { parseInput } from "../validation.ts";
import type { HealSettings } from "./heal-config.ts";
import {
  contentHash,
  DEFAULT_PLAN_EXPIRY_MS,
  type Proposal,
  proposalSchema,
} from "./plan-content.ts";
import type { PlanStore } from "./plan-store.ts";
import { templateFor, templateNamed, vetTarget } from "./plan-templates.ts";
import { planSubject } from "./plan-view.ts";

/** Dependencies of {@link createPlanProposals}. */
export interface PlanProposalsDeps {
  db: Db;
  store: PlanStore;
  clock: Clock;
  settings: Pick<HealSettings, "templates" | "commands" | "protectedPattern" | "fileAllowlist">;
  /** Chats that get plan proposals (kind `heal_plan`, src/notifications). */
  planChats: NotifyTargets;
  timeZone: string;
  onQueued: () => void;
  /** Renders notifications and queues their deliveries (src/notifications/publisher.ts). */
  publisher: Publisher;
  /** A plan's notification as it stands (heal-service.ts). */
  notificationOf(plan: HealPlanRow, tx: DbOrTx): Promise<Notification>;
  /** Redraws the other pending plans on the plan's target. */
  redrawSiblings(plan: HealPlanRow, tx: DbOrTx): Promise<void>;
  /** The template the alert's latest triage suggested (src/triage), preferred when it applies. */
  suggestedTemplate?: (alertId: string) => Promise<string | undefined>;
}

/** What pressing "Propose fix" on an alert did, for the callback answer. */
export interface AlertProposalResult {
  /** True when a new plan was stored and its message queued. */
  created: boolean;
  /** One short line for `answerCallbackQuery`. */
  message: string;
  /** The new plan, or the pending one that made this press a duplicate. */
  plan?: HealPlanRow;
}

/** `proposed_by` holds at most this many characters (proposalSchema). */
const MAX_PROPOSER = 100;

/**
 * Proposals of heal plans: over HTTP (`POST /api/heal-plans`) and from
 * an alert's "Propose fix" button when a plan template (`HEAL_TEMPLATES`) maps the alert to a
 * plan. Both pass the same schema and the same insert: plan row, `proposed` audit row and one
 * message per alert chat, in one transaction.
 */
export function createPlanProposals(deps: PlanProposalsDeps) {
  const { db, store, clock } = deps;

  async function insert(
    p: Proposal,
    detail: Record<string, unknown>,
    now: Date,
    tx: DbOrTx,
  ): Promise<HealPlanRow> {
    const id = ulid();
    const ttlMs = p.expires_in_s !== undefined ? p.expires_in_s * 1000 : DEFAULT_PLAN_EXPIRY_MS;
    const row = await store.insert(
      {
        id,
        kind: p.kind,
        target: p.target,
        rationale: p.rationale,
        proposedBy: p.proposed_by,
        risk: p.risk,
        incidentId: p.incident_id ?? null,
        contentHash: contentHash(p),
        status: "pending",
        expiresAt: new Date(now.getTime() + ttlMs),
        createdAt: now,
      },
      tx,
    );
    await store.audit(
      row,
      p.proposed_by,
      "proposed",
      { incidentId: row.incidentId, ...detail },
      now,
      tx,
    );
    const chats = deps.planChats({ risk: row.risk, proposed_by: row.proposedBy });
    await deps.publisher.publish(
      await deps.notificationOf(row, tx),
      { chats, dedupBase: `plan:${id}`, subject: planSubject(id), silent: false },
      tx,
    );
    await deps.redrawSiblings(row, tx);
    return row;
  }

  return {
    /**
     * Stores a proposal (body of `POST /api/heal-plans`) and queues its message, with
     * Approve / Reject / Details, to every alert chat.
     * @throws InputError (400) naming the first bad field.
     */
    async propose(body: unknown): Promise<HealPlanRow> {
      const p = parseInput(proposalSchema, body);
      const plan = await db.transaction((tx) => insert(p, {}, clock.now(), tx));
      deps.onQueued();
      return plan;
    },

    /**
     * "Propose fix" on alert `alertId`, pressed by admin `who`: the template the alert's
     * triage suggested when it applies, else the first one matching its labels, is filled,
     * validated like an HTTP proposal, vetted (protected resource, command allowlist, L1)
     * and stored, linked to the alert's incident. A pending
     * plan with the same content for the same incident makes the press a no-op; concurrent
     * presses are serialised on the content hash (a transaction-scoped advisory lock).
     */
    async proposeFromAlert(alertId: string, who: string): Promise<AlertProposalResult> {
      const [alert] = await db.select().from(alerts).where(eq(alerts.id, alertId));
      if (!alert) return { created: false, message: "That alert no longer exists." };
      if (alert.status !== "firing")
        return { created: false, message: "The alert has resolved; there is nothing to fix." };
      const suggested = await deps.suggestedTemplate?.(alertId);
      const filled =
        (suggested && templateNamed(deps.settings.templates, alert.labels, suggested)) ||
        templateFor(deps.settings.templates, alert.labels);
      if (!filled)
        return { created: false, message: "No plan template matches this alert any more." };
      const name = filled.template.name;
      let p: Proposal;
      try {
        p = parseInput(proposalSchema, {
          kind: filled.kind,
          target: filled.target,
          rationale: filled.rationale,
          risk: filled.risk,
          proposed_by: who.slice(0, MAX_PROPOSER),
          incident_id: alert.incidentId ?? undefined,
          expires_in_s: filled.template.expiresInS,
        });
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        return { created: false, message: `Not proposed (${name}): ${err.message}`.slice(0, 190) };
      }
      const vetted = vetTarget(p, deps.settings);
      if (!vetted.ok)
        return {
          created: false,
          message: `Not proposed (${name}): ${vetted.reason}`.slice(0, 190),
        };
      const hash = contentHash(p);
      const incidentId = p.incident_id ?? null;
      const result = await db.transaction(async (tx): Promise<AlertProposalResult> => {
        await tx.execute(
          sql`select pg_advisory_xact_lock(hashtextextended(${`heal-propose:${hash}`}, 0))`,
        );
        const now = clock.now();
        const existing = await store.pendingDuplicate(hash, incidentId, now, tx);
        if (existing)
          return {
            created: false,
            message: `A plan for this is already pending (${existing.id.slice(-8)}); decide that one.`,
            plan: existing,
          };
        const plan = await insert(p, { alertId, template: name, via: "alert" }, now, tx);
        return {
          created: true,
          message: `Plan proposed (${plan.id.slice(-8)}); it waits for a decision.`,
          plan,
        };
      });
      if (result.created) deps.onQueued();
      return result;
    },
  };
}

/** Plan proposals. */
export type PlanProposals = ReturnType<typeof createPlanProposals>;

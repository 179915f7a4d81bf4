import { hostname } from "node:os";
import type { Db, DbOrTx } from "../../db/client.ts";
import type { HealAuditRow, HealPlanRow } from "../../db/schema/index.ts";
import { recordDecision } from "../autonomy/decision-log.ts";
import { ulid } from "../ids.ts";
import { incidentTags } from "../incidents/incident-ref.ts";
import type { Logger } from "../logger.ts";
import type { Notification } from "../notifications/notification.ts";
import type { NotifyTargets } from "../notifications/notification-router.ts";
import type { Publisher } from "../notifications/publisher.ts";
import { personName } from "../person-name.ts";
import type { Clock } from "../types.ts";
import { preflightCodeFix } from "./code-fix-executor.ts";
import { preflightCommand } from "./command-executor.ts";
import { checkRate, type Verdict } from "./guardrails.ts";
import type { HealSettings } from "./heal-config.ts";
import { createPlanExecutor } from "./plan-executor.ts";
import { createPlanProposals } from "./plan-proposals.ts";
import { processAlive, type Runner } from "./plan-recovery.ts";
import { createPlanRuns } from "./plan-runs.ts";
import { createPlanStore } from "./plan-store.ts";
import { type PlanView, planSubject } from "./plan-view.ts";

/** What a decision did, for the callback answer. */
export interface DecisionResult {
  /** False when nothing changed (already decided, expired, unknown id). */
  changed: boolean;
  /** One short line for `answerCallbackQuery`. */
  message: string;
  /** True when a high-risk plan's Approve waits for the confirming press. */
  needsConfirm?: boolean;
}

/** Dependencies of {@link createHealService}. */
export interface HealServiceDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Renders plan notifications and queues their deliveries (src/notifications). */
  publisher: Publisher;
  settings: HealSettings;
  /** Chats that get plan proposals (kind `heal_plan`, src/notifications). */
  planChats: NotifyTargets;
  timeZone: string;
  /** Wakes the outbox worker after a commit that queued deliveries. */
  onQueued: () => void;
  /** This process as a plan runner (tests simulate other processes); default host, pid, new id. */
  runner?: Runner;
  /** Whether a pid on this host is alive (tests); default `kill(pid, 0)`. */
  processAlive?: (pid: number) => boolean;
  /** The template an alert's latest triage suggested (preferred by "Propose fix"). */
  suggestedTemplate?: (alertId: string) => Promise<string | undefined>;
}

/** The heal plan service. */
export type HealService = ReturnType<typeof createHealService>;

/**
 * Heal plans, a person in the loop (nothing runs unapproved): proposals over HTTP,
 * decisions from the chat (first decision wins, bound to the content hash), expiry, and
 * asynchronous guarded execution. Every proposal, decision, step and result is audited.
 */
export function createHealService(deps: HealServiceDeps) {
  const { db, clock, publisher, timeZone } = deps;
  const store = createPlanStore(db);
  /** Last progress line per plan, shown under the state until the plan is redrawn. */
  const progress = new Map<string, string>();

  /**
   * The guardrails that do not depend on the moment (L0 repository and L1 allowlist for a
   * code fix; protected target and command allowlist for the others): what would refuse the
   * plan whenever it ran. The hourly rate (L3) is checked again when Approve is pressed.
   */
  async function vet(plan: HealPlanRow): Promise<Verdict> {
    return plan.kind === "code_fix"
      ? preflightCodeFix(plan, deps.settings)
      : preflightCommand(plan, deps.settings);
  }

  /** What the plan message shows besides the row (incident number, guardrail, same target). */
  async function viewOf(plan: HealPlanRow, tx: DbOrTx = db): Promise<PlanView> {
    const view: PlanView = { timeZone, now: clock.now() };
    if (plan.incidentId)
      view.incidentNumber = (await incidentTags(tx, [plan.incidentId])).get(
        plan.incidentId,
      )?.number;
    if (plan.status === "pending") {
      const verdict = await vet(plan);
      if (!verdict.ok) view.blocked = verdict.reason;
      view.sameTarget = (await store.inStatus("pending", tx)).filter(
        (p) => p.target === plan.target && p.id !== plan.id,
      ).length;
    }
    return view;
  }

  /** The plan's notification as it stands, with its progress line (rendered by src/notifications). */
  async function notificationOf(plan: HealPlanRow, tx: DbOrTx = db): Promise<Notification> {
    const line = progress.get(plan.id);
    return {
      kind: "heal_plan",
      plan,
      view: await viewOf(plan, tx),
      ...(line && { progress: line }),
    };
  }

  /** Edits the plan's message; `line`, when given, becomes its progress line. */
  async function redraw(plan: HealPlanRow, tx: DbOrTx, line?: string): Promise<void> {
    if (line !== undefined) progress.set(plan.id, line);
    await publisher.update(await notificationOf(plan, tx), planSubject(plan.id), tx);
  }

  /** Redraws the other pending plans on `target` (their "pending on this target" flag). */
  async function redrawSiblings(plan: HealPlanRow, tx: DbOrTx): Promise<void> {
    for (const p of await store.inStatus("pending", tx))
      if (p.target === plan.target && p.id !== plan.id) await redraw(p, tx);
  }

  const runs = createPlanRuns({
    ...deps,
    store,
    self: deps.runner ?? { host: hostname(), pid: process.pid, instance: ulid() },
    alive: deps.processAlive ?? processAlive,
    redraw,
  });

  async function record(
    plan: HealPlanRow,
    step: string,
    detail: Record<string, unknown>,
    line?: string,
  ): Promise<void> {
    await db.transaction(async (tx) => {
      await store.audit(plan, "executor", step, detail, clock.now(), tx);
      if (line === undefined) return;
      await redraw((await store.get(plan.id, tx)) ?? plan, tx, line);
    });
    if (line !== undefined) deps.onQueued();
  }

  const executor = createPlanExecutor({
    store,
    clock,
    logger: deps.logger,
    settings: deps.settings,
    record,
    begin: runs.begin,
  });
  const proposals = createPlanProposals({
    ...deps,
    store,
    publisher,
    notificationOf,
    redrawSiblings,
  });

  /** Why a decision on `plan` cannot be taken, for the answer. */
  function refusal(plan: HealPlanRow): string {
    if (plan.status === "expired") return "This plan has expired; it can no longer be decided.";
    return `Already ${plan.status}${plan.decidedBy ? ` (decided by ${personName(plan.decidedBy)})` : ""}.`;
  }

  async function expireOne(plan: HealPlanRow, tx: DbOrTx): Promise<void> {
    await store.audit(plan, "system", "expired", { expiresAt: plan.expiresAt }, clock.now(), tx);
    await redraw(plan, tx);
  }

  async function decide(
    id: string,
    to: "approved" | "rejected",
    who: string,
    reason: string | null,
  ): Promise<{ result: DecisionResult; plan?: HealPlanRow }> {
    const now = clock.now();
    const outcome = await db.transaction(async (tx) => {
      const current = await store.get(id, tx);
      if (!current) return { result: { changed: false, message: "That plan does not exist." } };
      if (current.status === "pending" && current.expiresAt <= now) {
        const expired = await store.transition(id, "pending", "expired", {}, tx);
        if (expired) await expireOne(expired, tx);
        return { result: { changed: false, message: refusal({ ...current, status: "expired" }) } };
      }
      const decided = await store.decide(id, current.contentHash, to, who, now, reason, tx);
      if (!decided) return { result: { changed: false, message: refusal(current) } };
      await store.audit(decided, who, to, { reason, hash: decided.contentHash }, now, tx);
      const action = to === "approved" ? "heal_approve" : "heal_reject";
      const about = { planId: decided.id, incidentId: decided.incidentId };
      await recordDecision(tx, { action, actor: who, at: now, ...about });
      await redraw(decided, tx);
      const message = to === "approved" ? "Approved; running it now." : "Rejected.";
      return { result: { changed: true, message }, plan: decided };
    });
    // Siblings are redrawn after the decision commits, one statement each: two decisions on
    // one target at once would otherwise each lock the other's message row (a deadlock).
    if (outcome.plan) {
      await redrawSiblings(outcome.plan, db).catch((err: unknown) =>
        deps.logger.warn({ err, planId: outcome.plan?.id }, "could not redraw sibling plans"),
      );
    }
    deps.onQueued();
    return outcome;
  }

  async function sweep(): Promise<number> {
    const expired = await db.transaction(async (tx) => {
      const rows = await store.expireDue(clock.now(), tx);
      for (const plan of rows) await expireOne(plan, tx);
      return rows.length;
    });
    if (expired > 0) deps.onQueued();
    return expired;
  }

  let timer: NodeJS.Timeout | undefined;

  return {
    store,

    /**
     * Stores a proposal (body of `POST /api/heal-plans`) and queues its message, with
     * Approve / Reject / Details, to every alert chat.
     * @throws InputError (400) naming the first bad field.
     */
    propose: proposals.propose,

    /** "Propose fix" pressed on alert `alertId` by admin `who` (see plan-proposals.ts). */
    proposeFromAlert: proposals.proposeFromAlert,

    /**
     * Approves plan `id` as `who`; the first decision wins and starts the execution. The
     * guardrails are asked first (as the execution will ask them): a plan they would refuse
     * is not approved, and the answer says why. A high-risk plan needs `confirmed` (the
     * second press); without it nothing changes and `needsConfirm` is set.
     */
    async approve(
      id: string,
      who: string,
      opts: { confirmed?: boolean } = {},
    ): Promise<DecisionResult> {
      const current = await store.get(id);
      if (current?.status === "pending" && current.expiresAt > clock.now()) {
        const busy = [
          ...(await store.inStatus("approved")),
          ...(await store.inStatus("running")),
        ].some((p) => p.target === current.target);
        const verdict: Verdict = busy
          ? { ok: false, reason: `another plan is running on ${current.target}; try when it ends` }
          : await vet(current);
        const rate = verdict.ok
          ? await checkRate(
              (since) => store.startedSince(since),
              clock.now(),
              deps.settings.maxPerHour,
            )
          : verdict;
        if (!rate.ok)
          return { changed: false, message: `Not approved: ${rate.reason}`.slice(0, 190) };
        if (current.risk === "high" && !opts.confirmed)
          return {
            changed: false,
            needsConfirm: true,
            message: "High risk: press ⚠️ Yes, run it to approve.",
          };
      }
      const { result, plan } = await decide(id, "approved", who, null);
      if (result.changed && plan) executor.start(plan);
      return result;
    },

    /** Rejects plan `id` as `who`, with an optional reason; the first decision wins. */
    async reject(id: string, who: string, reason: string | null): Promise<DecisionResult> {
      return (await decide(id, "rejected", who, reason || null)).result;
    },

    /** Expires pending plans past their expiry (buttons removed, message says so). */
    sweep,

    /**
     * Pending plans (oldest first), and the newest `limit` decided ones (no plan in both), for
     * /plans, with the numbers of their incidents by incident id.
     */
    async overview(limit = 10): Promise<{
      pending: HealPlanRow[];
      recent: HealPlanRow[];
      incidentNumbers: Map<string, number>;
    }> {
      const pending = await store.inStatus("pending");
      const recent = (await store.recent(limit + pending.length))
        .filter((p) => p.status !== "pending")
        .slice(0, limit);
      const ids = [...pending, ...recent].flatMap((p) => (p.incidentId ? [p.incidentId] : []));
      const incidentNumbers = new Map(
        [...(await incidentTags(db, ids))].map(([id, t]) => [id, t.number]),
      );
      return { pending, recent, incidentNumbers };
    },

    /** The plan message of plan `id` as it stands now (text and buttons); undefined if unknown. */
    async message(id: string) {
      const plan = await store.get(id);
      return plan ? { plan, ...publisher.render(await notificationOf(plan)) } : undefined;
    },

    /** The audit trail of plan `id`. */
    audit(id: string): Promise<HealAuditRow[]> {
      return store.auditOf(id);
    },

    /** Resolves when every execution started so far has finished. */
    idle: () => executor.idle(),

    /** Marks `running` plans whose runner is gone as failed (crash recovery); returns how many. */
    recover: runs.recover,

    /**
     * Recovers plans a stopped process left `running`, then starts the sweep every
     * `HEAL_EXPIRY_SWEEP_MS`: expiry, and recovery of plans left by other processes.
     */
    async start(): Promise<void> {
      try {
        await runs.recover();
      } catch (err) {
        deps.logger.error({ err }, "heal crash recovery failed; the sweep retries it");
      }
      timer ??= setInterval(() => {
        sweep()
          .then(runs.recover)
          .catch((err: unknown) => deps.logger.warn({ err }, "heal sweep failed"));
      }, deps.settings.expirySweepMs);
      timer.unref();
    },

    /**
     * Stops the sweep and waits for running executions; after `graceMs` (default: no limit)
     * their fixers and commands are killed, so the plans end `failed` and say why.
     */
    async stop(graceMs = Number.POSITIVE_INFINITY): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (Number.isFinite(graceMs) && executor.busy()) {
        let t: NodeJS.Timeout | undefined;
        const expired = new Promise<void>((r) => {
          t = setTimeout(r, graceMs);
        });
        await Promise.race([executor.idle(), expired]);
        clearTimeout(t);
        executor.abort();
      }
      await executor.idle();
    },
  };
}

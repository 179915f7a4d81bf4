import type { HealAuditRow, HealPlanRow, InlineKeyboard } from "../../../db/schema/index.ts";
import { callbackData } from "../../callback-data.ts";
import { KIND_LABEL, type PlanView, planRef } from "../../heal/plan-view.ts";
import { personName } from "../../person-name.ts";
import { escapeHtml } from "../../telegram-format.ts";
import { formatSpan, formatWhen, relativeTime, zoneNote } from "../../time-format.ts";

/**
 * Callback data of "Propose fix" on alert `<alertId>` (a ULID): `pf:<alertId>`, 29 bytes of
 * Telegram's 64. The template is chosen again from the alert's labels when pressed.
 */

const STATUS_LINE: Record<HealPlanRow["status"], string> = {
  pending: "⏳ Waiting for a decision",
  approved: "✅ Approved",
  rejected: "✋ Rejected",
  expired: "⌛ Expired: no decision in time; it can no longer be approved",
  running: "⚙️ Running",
  succeeded: "✅ Done",
  failed: "❌ Failed",
  reverted: "↩️ Reverted: health check failed after the push",
  refused: "🛑 Refused by a guardrail",
};

/** The plan's target as HTML code. */
export function describeTarget(plan: Pick<HealPlanRow, "target">): string {
  return `<code>${escapeHtml(plan.target)}</code>`;
}

/** What a plan will run, in one line (code_fix: the fixer on the file; others: the command). */
export function describeAction(plan: Pick<HealPlanRow, "kind" | "target">): string {
  return plan.kind === "code_fix"
    ? `run the fixer on ${describeTarget(plan)}, commit, push, check health`
    : `run the allowlisted <code>${plan.kind}</code> command on ${describeTarget(plan)}`;
}

/**
 * Buttons of a pending plan: Approve (only when not blocked; a high-risk plan's Approve asks
 * for a second press, `pc:`), Reject and Details. Callback data ≤ 64 bytes.
 */
export function planKeyboard(
  plan: Pick<HealPlanRow, "id" | "status" | "risk">,
  blocked?: string,
): InlineKeyboard | null {
  if (plan.status !== "pending") return null;
  const approve =
    blocked === undefined
      ? [
          {
            text: plan.risk === "high" ? "⚠️ Approve…" : "✅ Approve",
            callback_data: callbackData.plan.approve(plan.id),
          },
        ]
      : [];
  return [
    [
      ...approve,
      { text: "✋ Reject", callback_data: callbackData.plan.reject(plan.id) },
      { text: "ℹ️ Details", callback_data: callbackData.plan.details(plan.id) },
    ],
  ];
}

/** The keyboard of a high-risk plan after the first Approve press: confirm, or go back. */
export function confirmKeyboard(plan: Pick<HealPlanRow, "id">): InlineKeyboard {
  return [
    [
      { text: "⚠️ Yes, run it", callback_data: callbackData.plan.confirm(plan.id) },
      { text: "« Back", callback_data: callbackData.plan.back(plan.id) },
    ],
  ];
}

/**
 * The plan message: what will run, on what, why, risk and expiry, the linked incident by
 * number, a flag when other plans wait on the same target, a guardrail that would refuse it,
 * then the state, who decided (by name) and the latest progress line.
 */
export function renderPlanMessage(
  plan: HealPlanRow,
  view: PlanView,
  progress?: string,
): { text: string; keyboard: InlineKeyboard | null } {
  const { now, timeZone } = view;
  const incident = view.incidentNumber !== undefined ? ` · incident #${view.incidentNumber}` : "";
  const lines = [
    `🩺 <b>Heal plan · ${KIND_LABEL[plan.kind]}</b> ${describeTarget(plan)} · risk <b>${plan.risk}</b>${incident}`,
    `Will ${describeAction(plan)}`,
    `Why: ${escapeHtml(plan.rationale)}`,
    `Proposed by ${escapeHtml(personName(plan.proposedBy))} · ${relativeTime(plan.createdAt, now)}`,
  ];
  if (plan.status === "pending") {
    lines.push(`Expires ${formatWhen(plan.expiresAt, now, timeZone)}`);
    if (view.sameTarget)
      lines.push(
        `⚠️ ${view.sameTarget} other plan${view.sameTarget === 1 ? "" : "s"} pending on this target: decide one, reject the rest`,
      );
    if (view.blocked)
      lines.push(
        `🛑 The guardrails would refuse it: ${escapeHtml(view.blocked)}. Reject it or fix the setup.`,
      );
    if (plan.risk === "high" && !view.blocked)
      lines.push("High risk: Approve asks you to confirm.");
  }
  lines.push("", STATUS_LINE[plan.status]);
  if (plan.decidedBy && plan.status !== "expired") {
    const when = plan.decidedAt ? ` at ${formatWhen(plan.decidedAt, now, timeZone)}` : "";
    lines.push(`Decided by ${escapeHtml(personName(plan.decidedBy))}${when}`);
  }
  if (plan.startedAt && plan.finishedAt)
    lines.push(`Ran ${formatSpan(plan.finishedAt.getTime() - plan.startedAt.getTime())}`);
  if (plan.reason) lines.push(`Reason: ${escapeHtml(plan.reason)}`);
  if (progress) lines.push(escapeHtml(progress));
  lines.push(zoneNote(timeZone));
  return { text: lines.join("\n"), keyboard: planKeyboard(plan, view.blocked) };
}

/** One line of /plans: `• Restart db-1 · risk high · #17 · pending · 4m ago`. */
export function planListLine(plan: HealPlanRow, now: Date, incidentNumber?: number): string {
  const inc = incidentNumber !== undefined ? ` · #${incidentNumber}` : "";
  return `• ${KIND_LABEL[plan.kind]} ${describeTarget(plan)} · risk ${plan.risk}${inc} · ${plan.status} · ${relativeTime(plan.createdAt, now)}`;
}

/**
 * The details of a plan, shown in place of its message (« Back returns): what and why, the
 * content hash a decision is bound to (its first 12 characters), and the audit trail's last
 * steps with who (by name) and when.
 */
export function renderPlanDetails(
  plan: HealPlanRow,
  audit: readonly HealAuditRow[],
  view: Pick<PlanView, "timeZone" | "now">,
): { text: string; keyboard: InlineKeyboard } {
  const { now, timeZone } = view;
  const shown = audit.slice(-6);
  const lines = [
    `ℹ️ <b>Heal plan ${planRef(plan.id)}</b> · ${KIND_LABEL[plan.kind]} ${describeTarget(plan)} · ${plan.status}`,
    `Will ${describeAction(plan)}`,
    `Why: ${escapeHtml(plan.rationale)}`,
    `Risk ${plan.risk} · proposed by ${escapeHtml(personName(plan.proposedBy))} ${formatWhen(plan.createdAt, now, timeZone)}`,
    `Content <code>${plan.contentHash.slice(0, 12)}</code> (a decision is bound to it)`,
    "",
    `<b>Audit</b> (${audit.length} step${audit.length === 1 ? "" : "s"}${audit.length > shown.length ? `, last ${shown.length}` : ""})`,
    ...shown.map(
      (a) =>
        `• ${formatWhen(a.at, now, timeZone)} ${escapeHtml(a.step)} · ${escapeHtml(personName(a.actor))}`,
    ),
    zoneNote(timeZone),
  ];
  return {
    text: lines.join("\n"),
    keyboard: [[{ text: "« Back", callback_data: callbackData.plan.back(plan.id) }]],
  };
}

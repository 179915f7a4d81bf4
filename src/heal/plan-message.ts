import type { HealPlanRow, InlineKeyboard } from "../../db/schema/index.ts";
import { callbackData } from "../callback-data.ts";
import { escapeHtml, formatTime } from "../telegram-format.ts";

/**
 * Callback data of "Propose fix" on alert `<alertId>` (a ULID): `pf:<alertId>`, 29 bytes of
 * Telegram's 64. The template is chosen again from the alert's labels when pressed.
 */
export const proposeFixData = (alertId: string): string => `pf:${alertId}`;

/** Outbox subject of a plan's message: later edits find it by this. */
export const planSubject = (id: string): string => `plan:${id}`;

const KIND_LABEL: Record<HealPlanRow["kind"], string> = {
  code_fix: "Code fix",
  restart: "Restart",
  rollback: "Rollback",
  command: "Command",
};

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

/** What a plan will run, in one line (code_fix: the fixer on the file; others: the command). */
export function describeAction(plan: Pick<HealPlanRow, "kind" | "target">): string {
  return plan.kind === "code_fix"
    ? `run the fixer on <code>${escapeHtml(plan.target)}</code>, commit, push, check health`
    : `run the allowlisted <code>${plan.kind}</code> command on <code>${escapeHtml(plan.target)}</code>`;
}

/** Approve / Reject / Details buttons of a pending plan (callback data ≤ 64 bytes). */
export function planKeyboard(plan: Pick<HealPlanRow, "id" | "status">): InlineKeyboard | null {
  if (plan.status !== "pending") return null;
  return [
    [
      { text: "✅ Approve", callback_data: callbackData.plan.approve(plan.id) },
      { text: "✋ Reject", callback_data: callbackData.plan.reject(plan.id) },
      { text: "ℹ️ Details", callback_data: callbackData.plan.details(plan.id) },
    ],
  ];
}

/**
 * The plan message: what will run, on what, why, risk and expiry, then
 * the state, who decided and the latest progress line (L5: every outcome is shown here).
 */
export function renderPlanMessage(
  plan: HealPlanRow,
  timeZone: string,
  progress?: string,
): { text: string; keyboard: InlineKeyboard | null } {
  const lines = [
    `🩺 <b>Heal plan · ${KIND_LABEL[plan.kind]}</b> · risk <b>${plan.risk}</b>`,
    `Will ${describeAction(plan)}`,
    `Why: ${escapeHtml(plan.rationale)}`,
    `Proposed by ${escapeHtml(plan.proposedBy)}${plan.incidentId ? ` · incident <code>${escapeHtml(plan.incidentId)}</code>` : ""}`,
    `Expires: ${formatTime(plan.expiresAt, timeZone)}`,
    "",
    STATUS_LINE[plan.status],
  ];
  if (plan.decidedBy && plan.status !== "expired") {
    const when = plan.decidedAt ? ` at ${formatTime(plan.decidedAt, timeZone)}` : "";
    lines.push(`Decided by ${escapeHtml(plan.decidedBy)}${when}`);
  }
  if (plan.reason) lines.push(`Reason: ${escapeHtml(plan.reason)}`);
  if (progress) lines.push(escapeHtml(progress));
  return { text: lines.join("\n"), keyboard: planKeyboard(plan) };
}

/** One line of /plans. */
export function planListLine(plan: HealPlanRow, timeZone: string): string {
  return `• <code>${plan.id.slice(-8)}</code> ${KIND_LABEL[plan.kind]} <code>${escapeHtml(plan.target)}</code> · ${plan.status} · ${formatTime(plan.createdAt, timeZone)}`;
}

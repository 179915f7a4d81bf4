import { escapeHtml } from "../../telegram-format.ts";
import type { TriageView } from "../../triage/triage-view.ts";

function head(t: TriageView): string {
  if (t.source === "model") {
    const conf = t.result?.confidence;
    const c = conf === null || conf === undefined ? "" : ` · confidence ${Math.round(conf * 100)}%`;
    return `🧠 <b>Triage</b> · model ${escapeHtml(t.model ?? "?")}${c}`;
  }
  const why = t.fallbackReason ? ` (${escapeHtml(t.fallbackReason)})` : "";
  return `🧠 <b>Triage</b> · rules${why}`;
}

function list(title: string, items: readonly string[]): string[] {
  return items.length === 0 ? [] : [title, ...items.map((i) => `• ${escapeHtml(i)}`)];
}

/**
 * The "🧠 Triage" section of an alert message (Telegram HTML lines; the alert view appends
 * them). Everything the model or the alert wrote is escaped text, one line per item; the
 * head says where the answer came from (the model and its confidence, or "rules" and why).
 * A suggested template is named only when it is a configured one that applies to the alert;
 * its button is the alert's own 🩹 Propose fix.
 */
export function renderTriageSection(t: TriageView): string[] {
  const r = t.result;
  if (!r) return [];
  const lines = ["", head(t), escapeHtml(r.summary)];
  lines.push(...list("<i>Likely causes</i>", r.likelyCauses));
  lines.push(...list("<i>Next steps</i>", r.nextSteps));
  if (r.suggestedTemplate)
    lines.push(`🩹 Suggested fix: template “${escapeHtml(r.suggestedTemplate)}” (🩹 Propose fix)`);
  if (r.ignoredSuggestion)
    lines.push(
      "⚠️ The model named a fix that is not a configured template for this alert; ignored.",
    );
  if (r.history) lines.push(`📚 ${escapeHtml(r.history)}`);
  return lines;
}

import { z } from "zod";
import { HEAL_KINDS, HEAL_RISKS, type HealKind } from "../../db/schema/index.ts";
import { ConfigError, coerceError } from "../errors.ts";
import { type CompiledMatcher, matchAll, parseMatcher } from "../mutes/matchers.ts";
import { preflightCommand } from "./command-executor.ts";
import { checkFileAllowed, type Verdict } from "./guardrails.ts";
import type { HealSettings } from "./heal-config.ts";
import { TARGET_RE } from "./plan-content.ts";

/**
 * A plan template (`HEAL_TEMPLATES`): when a firing alert's labels match
 * `matchers`, its message offers "Propose fix", which proposes a plan of `kind` with `target`
 * and `rationale` filled from the alert's labels (`{{label}}` placeholders).
 */
export interface PlanTemplate {
  /** Shown in answers and the audit; default `template <n>` (1-based position). */
  name: string;
  /** Label matchers, all must hold (mute syntax, src/mutes/matchers.ts). Never empty. */
  matchers: CompiledMatcher[];
  kind: HealKind;
  /** Target with `{{label}}` placeholders. */
  target: string;
  /** Rationale with `{{label}}` placeholders. */
  rationale: string;
  risk: (typeof HEAL_RISKS)[number];
  /** Decision window in seconds; unset → the 30 min default. */
  expiresInS: number | undefined;
}

/** A template filled from an alert's labels: the content of the plan it proposes. */
export interface FilledTemplate {
  template: PlanTemplate;
  kind: HealKind;
  target: string;
  rationale: string;
  risk: PlanTemplate["risk"];
}

/** `{{ name }}`: a label name, optional spaces inside the braces. */
const PLACEHOLDER = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;

const ruleSchema = z.object({
  name: z.string().trim().min(1).max(60).optional(),
  match: z.union([
    z
      .record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "label names only"), z.string())
      .refine((m) => Object.keys(m).length > 0, "match needs at least one label"),
    z.array(z.string().min(1)).min(1, "match needs at least one matcher"),
  ]),
  kind: z.enum(HEAL_KINDS),
  target: z.string().trim().min(1).max(200),
  rationale: z.string().trim().min(1).max(2000),
  risk: z.enum(HEAL_RISKS),
  expires_in_s: z.number().int().min(1).max(86_400).optional(),
});

/** Names of the placeholders in `text`, in order of appearance. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

/**
 * Fills `{{label}}` placeholders from `labels` in one pass: a label value is inserted as is
 * and never read as a placeholder itself. Undefined when a placeholder's label is missing or
 * empty (the template does not apply to this alert).
 */
export function fillPlaceholders(
  text: string,
  labels: Readonly<Record<string, string>>,
): string | undefined {
  let missing = false;
  const out = text.replace(PLACEHOLDER, (_m, name: string) => {
    const v = labels[name];
    if (v === undefined || v === "") missing = true;
    return v ?? "";
  });
  return missing ? undefined : out;
}

function compileRule(rule: z.output<typeof ruleSchema>, n: number): PlanTemplate {
  const where = `rule ${n}`;
  let matchers: CompiledMatcher[];
  try {
    matchers = Array.isArray(rule.match)
      ? rule.match.map(parseMatcher)
      : Object.entries(rule.match).map(([name, value]) => ({ name, op: "=" as const, value }));
  } catch (err) {
    throw new ConfigError("HEAL_TEMPLATES", `${where}: ${coerceError(err).message}`);
  }
  for (const field of ["target", "rationale"] as const) {
    const rest = rule[field].replace(PLACEHOLDER, "");
    if (rest.includes("{{") || rest.includes("}}"))
      throw new ConfigError("HEAL_TEMPLATES", `${where}: ${field} has a malformed {{placeholder}}`);
  }
  const fixed = rule.target.replace(PLACEHOLDER, "x");
  if (!TARGET_RE.test(fixed))
    throw new ConfigError(
      "HEAL_TEMPLATES",
      `${where}: target may hold letters, digits, . _ / @ : - and {{label}} placeholders only`,
    );
  return {
    name: rule.name ?? `template ${n}`,
    matchers,
    kind: rule.kind,
    target: rule.target,
    rationale: rule.rationale,
    risk: rule.risk,
    expiresInS: rule.expires_in_s,
  };
}

/**
 * Parses `HEAL_TEMPLATES`: a JSON array of rules `{ name?, match, kind, target, rationale,
 * risk, expires_in_s? }`. `match` is either an object of exact label values
 * (`{"alertname":"HighErrorRate"}`) or an array of amtool matchers
 * (`["alertname=HighErrorRate", "instance=~\"momo-.*\""]`).
 * @throws ConfigError naming `HEAL_TEMPLATES` and the rule at fault.
 */
export function parseTemplates(raw: string | undefined): PlanTemplate[] {
  if (raw === undefined || raw.trim() === "") return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ConfigError("HEAL_TEMPLATES", "not valid JSON");
  }
  if (!Array.isArray(value)) throw new ConfigError("HEAL_TEMPLATES", "expected a JSON array");
  return value.map((item, i) => {
    const parsed = ruleSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = (issue?.path ?? []).map(String).join(".");
      throw new ConfigError(
        "HEAL_TEMPLATES",
        `rule ${i + 1}: ${path ? `${path}: ` : ""}${issue?.message ?? "invalid"}`,
      );
    }
    return compileRule(parsed.data, i + 1);
  });
}

/** Fills `template` from `labels`; undefined when it does not apply (no match, label missing). */
export function fillTemplate(
  template: PlanTemplate,
  labels: Readonly<Record<string, string>>,
): FilledTemplate | undefined {
  if (!matchAll(template.matchers, labels)) return undefined;
  const target = fillPlaceholders(template.target, labels);
  const rationale = fillPlaceholders(template.rationale, labels);
  if (target === undefined || rationale === undefined) return undefined;
  return { template, kind: template.kind, target, rationale, risk: template.risk };
}

/** The first template (in configured order) that applies to an alert with `labels`. */
export function templateFor(
  templates: readonly PlanTemplate[],
  labels: Readonly<Record<string, string>>,
): FilledTemplate | undefined {
  for (const t of templates) {
    const filled = fillTemplate(t, labels);
    if (filled) return filled;
  }
  return undefined;
}

/**
 * The template named `name`, filled from `labels`, when it is configured and applies to the
 * alert; undefined otherwise (a name from anywhere else, such as a model's suggestion, can
 * never select anything that is not a configured template matching the alert).
 */
export function templateNamed(
  templates: readonly PlanTemplate[],
  labels: Readonly<Record<string, string>>,
  name: string,
): FilledTemplate | undefined {
  const t = templates.find((x) => x.name === name);
  return t ? fillTemplate(t, labels) : undefined;
}

/**
 * Whether a filled template may be proposed at all: a restart, rollback or command on a
 * protected resource or with no allowlisted command (`HEAL_COMMANDS`) is refused,
 * as is a code_fix on a file outside the L1 allowlist. The same rules hold again at execution.
 */
export function vetTarget(
  plan: { kind: HealKind; target: string },
  settings: Pick<HealSettings, "commands" | "protectedPattern" | "fileAllowlist">,
): Verdict {
  return plan.kind === "code_fix"
    ? checkFileAllowed(plan.target, settings.fileAllowlist)
    : preflightCommand(plan, settings);
}

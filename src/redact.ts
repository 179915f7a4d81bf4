/**
 * Secret redaction shared by everything that keeps or sends text it did not write: heal-plan
 * fixer and command output (issue 5, behaviour 5) and every aiderw event, buffer line and log
 * line (issue 8 point 8; seed 000 §6). A secret is replaced by `<prefix><marker>`: the prefix
 * (e.g. `sk-or-v1-`, `Bearer `) stays so a reader knows which kind of key was there; nothing
 * of the secret itself does.
 */

/** One secret pattern: group 1 is the part that may stay, the rest of the match is the secret. */
export interface SecretPattern {
  name: string;
  re: RegExp;
}

/**
 * The patterns, most specific first (issue 8 point 8 names them all):
 * - `github_pat_…` and `ghp_` / `gho_` / `ghu_` / `ghs_` / `ghr_` GitHub tokens;
 * - `sk-…` OpenAI-style keys incl. `sk-or-v1-…` (OpenRouter), `sk-proj-…`, `sk-ant-…`;
 * - `AIza…` Google API keys; `nvapi-…` NVIDIA keys; `xox?-…` Slack tokens (`xoxb-`, `xoxp-`,
 *   `xoxe.xoxp-` …);
 * - `Bearer …` (any casing) in headers and curl lines; 7+ characters, so prose such as
 *   "Bearer tokens" stays.
 */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  { name: "github_pat", re: /\b(github_pat_)[A-Za-z0-9_]{20,}/g },
  { name: "github", re: /\b(gh[pousr]_)[A-Za-z0-9]{16,}/g },
  {
    name: "openai",
    re: /\b(sk-(?:or-v\d+-|or-|proj-|ant-(?:api\d+-)?|svcacct-|admin-)?)[A-Za-z0-9_-]{16,}/g,
  },
  { name: "google", re: /\b(AIza)[0-9A-Za-z_-]{30,}/g },
  { name: "nvidia", re: /\b(nvapi-)[A-Za-z0-9_-]{12,}/g },
  { name: "slack", re: /\b(xox[a-z](?:\.xox[a-z])?-)[A-Za-z0-9-]{8,}/g },
  { name: "bearer", re: /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{7,}/gi },
];

/** The default replacement of a secret, after its kept prefix. */
export const REDACTED = "<redacted>";

/** `text` with every secret of {@link SECRET_PATTERNS} replaced by its prefix and `marker`. */
export function redactText(text: string, marker = REDACTED): string {
  let out = text;
  for (const { re } of SECRET_PATTERNS) {
    re.lastIndex = 0;
    out = out.replace(re, (_m, keep: string) => `${keep}${marker}`);
  }
  return out;
}

/** A deep copy of `value` with every string (object keys too) passed through {@link redactText}. */
export function redactDeep<T>(value: T): T {
  if (typeof value === "string") return redactText(value) as T;
  if (Array.isArray(value)) return value.map(redactDeep) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [redactText(k), redactDeep(v)]),
    ) as T;
  }
  return value;
}

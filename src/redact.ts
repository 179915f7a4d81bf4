/**
 * Secret redaction shared by everything that keeps or sends text it did not write: heal-plan
 * fixer and command output, every aiderw event, buffer line and log line, the
 * process log (src/logger.ts) and Bot API errors kept in the outbox. A secret is replaced by
 * `<prefix><marker>`: the prefix (e.g. `sk-or-v1-`, `Bearer `) stays so a reader knows which
 * kind of key was there; nothing of the secret itself does.
 */

/** One secret pattern: group 1 is the part that may stay, the rest of the match is the secret. */
export interface SecretPattern {
  name: string;
  re: RegExp;
}

/**
 * The patterns, most specific first. No match crosses a double quote (or eats the backslash
 * escaping one), so they can run over serialised JSON (pino's log lines) and leave it valid.
 * - PEM private keys (`-----BEGIN … PRIVATE KEY-----`): the whole block, or everything up to
 *   the end of the text when it was cut before `-----END`;
 * - `user:password@` in URLs (any scheme): the password;
 * - `github_pat_…` and `ghp_` / `gho_` / `ghu_` / `ghs_` / `ghr_` GitHub tokens;
 * - `glpat-…` GitLab personal access tokens (20 characters after the prefix);
 * - `sk-…` OpenAI-style keys incl. `sk-or-v1-…` (OpenRouter), `sk-proj-…`, `sk-ant-…`;
 * - `AIza…` Google API keys; `nvapi-…` NVIDIA keys; `xox?-…` Slack tokens (`xoxb-`, `xoxp-`,
 *   `xoxe.xoxp-` …); `hf_…` Hugging Face tokens (34 letters and digits); `gsk_…` Groq keys;
 * - `AKIA…` / `ASIA…` AWS access key ids (16 upper-case letters and digits);
 * - commandpost's own proxy keys, `cp_` + 32 base64url characters (src/proxy/agent-keys.ts),
 *   only with a digit or capital among them, so `cp_` identifiers in snake case stay;
 * - Telegram bot tokens, `<bot id>:<35 characters>` (https://core.telegram.org/bots/api#authorizing-your-bot),
 *   also inside Bot API URLs (`/bot123456:AA…/sendMessage`); the bot id stays;
 * - `Bearer …` (any casing) in headers and curl lines; 7+ characters, so prose such as
 *   "Bearer tokens" stays.
 */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    name: "pem_private_key",
    re: /(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|(?=\\?")|$)/g,
  },
  {
    name: "url_password",
    re: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"'<>\\]*:)[^\s/?#@"'<>\\]+(?=@)/gi,
  },
  { name: "github_pat", re: /\b(github_pat_)[A-Za-z0-9_]{20,}/g },
  { name: "github", re: /\b(gh[pousr]_)[A-Za-z0-9]{16,}/g },
  { name: "gitlab", re: /\b(glpat-)[A-Za-z0-9_-]{20,}/g },
  {
    name: "openai",
    re: /\b(sk-(?:or-v\d+-|or-|proj-|ant-(?:api\d+-)?|svcacct-|admin-)?)[A-Za-z0-9_-]{16,}/g,
  },
  { name: "google", re: /\b(AIza)[0-9A-Za-z_-]{30,}/g },
  { name: "nvidia", re: /\b(nvapi-)[A-Za-z0-9_-]{12,}/g },
  { name: "slack", re: /\b(xox[a-z](?:\.xox[a-z])?-)[A-Za-z0-9-]{8,}/g },
  { name: "huggingface", re: /\b(hf_)[A-Za-z0-9]{30,}/g },
  { name: "groq", re: /\b(gsk_)[A-Za-z0-9]{20,}/g },
  { name: "aws_access_key", re: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g },
  {
    name: "commandpost",
    re: /\b(cp_)(?=[A-Za-z0-9_-]{0,31}[A-Z0-9])[A-Za-z0-9_-]{32}(?![A-Za-z0-9_-])/g,
  },
  { name: "telegram_bot", re: /(?<!\d)(\d{5,12}:)[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g },
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

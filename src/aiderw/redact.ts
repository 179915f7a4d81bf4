/**
 * Secret redaction for everything aiderw writes or sends (issue 8 point 8; seed 000 §6):
 * provider keys and tokens are replaced by `<prefix><redacted>` before an event reaches the
 * server, the buffer, the session JSONL or aiderw.log. The prefix (e.g. `sk-or-`) is kept
 * so a reader knows which kind of key was there; nothing of the secret itself is.
 */

/** One secret pattern: the part before the secret that may stay, then the secret. */
interface SecretPattern {
  name: string;
  re: RegExp;
}

/**
 * The patterns, most specific first. Group 1 is kept, the rest of the match is replaced.
 * - `sk-…` OpenAI-style keys incl. `sk-or-v1-…` (OpenRouter), `sk-proj-…`, `sk-ant-…`;
 * - `ghp_…` / `gho_` / `ghu_` / `ghs_` / `ghr_` GitHub tokens and `github_pat_…`;
 * - `AIza…` Google API keys; `nvapi-…` NVIDIA keys; `xox?-…` Slack tokens (`xoxb-`, `xoxp-`,
 *   `xoxe.xoxp-` …);
 * - `Bearer …` (any scheme casing) in headers and curl lines.
 */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  { name: "github_pat", re: /\b(github_pat_)[A-Za-z0-9_]{20,}/g },
  { name: "github", re: /\b(gh[pousr]_)[A-Za-z0-9]{20,}/g },
  {
    name: "openai",
    re: /\b(sk-(?:or-v\d+-|or-|proj-|ant-(?:api\d+-)?|svcacct-|admin-)?)[A-Za-z0-9_-]{16,}/g,
  },
  { name: "google", re: /\b(AIza)[0-9A-Za-z_-]{30,}/g },
  { name: "nvidia", re: /\b(nvapi-)[A-Za-z0-9_-]{20,}/g },
  { name: "slack", re: /\b(xox[a-z](?:\.xox[a-z])?-)[A-Za-z0-9-]{8,}/g },
  { name: "bearer", re: /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi },
];

/** What a secret is replaced by, after its kept prefix. */
export const REDACTED = "<redacted>";

/** `text` with every secret replaced. */
export function redactText(text: string): string {
  let out = text;
  for (const { re } of SECRET_PATTERNS) {
    re.lastIndex = 0;
    out = out.replace(re, (_m, keep: string) => `${keep}${REDACTED}`);
  }
  return out;
}

/** A deep copy of `value` with every string (keys too) redacted. */
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

/** Options whose value is a secret whatever it looks like (`--api-key openrouter=…`). */
const SECRET_OPTION = /^--?[\w-]*(api[-_]?key|token|secret|password|passwd)[\w-]*$/i;

/**
 * aider's arguments for `session_start`: patterns redacted, and the value of any key-like
 * option (`--openai-api-key X`, `--api-key=provider=X`) replaced whole. `provider=` stays.
 */
export function redactArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const eq = arg.indexOf("=");
    if (arg.startsWith("-") && eq > 0 && SECRET_OPTION.test(arg.slice(0, eq))) {
      out.push(`${arg.slice(0, eq + 1)}${redactValue(arg.slice(eq + 1))}`);
    } else if (SECRET_OPTION.test(arg) && i + 1 < args.length) {
      out.push(arg, redactValue(args[i + 1] ?? ""));
      i++;
    } else {
      out.push(redactText(arg));
    }
  }
  return out;
}

/** `provider=secret` keeps `provider=`; anything else is replaced whole. */
function redactValue(v: string): string {
  const m = /^([A-Za-z0-9_.-]{1,40}=)/.exec(v);
  return `${m?.[1] ?? ""}${REDACTED}`;
}

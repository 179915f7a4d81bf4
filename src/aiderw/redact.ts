/**
 * aiderw's redaction (applied before anything is written or sent): the shared patterns of
 * src/redact.ts for text and events, plus aider's own key options, whose values are secrets
 * whatever they look like.
 */
import { REDACTED, redactText } from "../redact.ts";

export { REDACTED, redactDeep, redactText, SECRET_PATTERNS } from "../redact.ts";

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

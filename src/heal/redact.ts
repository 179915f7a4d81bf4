import { redactText } from "../redact.ts";

/** `text` with provider keys, tokens and bearer credentials replaced (src/redact.ts patterns). */
export function redactSecrets(text: string): string {
  return redactText(text, "[redacted]");
}

/** The last `max` characters of `text`, redacted (output is kept in audit rows). */
export function keepOutput(text: string, max = 4000): string {
  const redacted = redactSecrets(text);
  return redacted.length > max ? `…${redacted.slice(-max)}` : redacted;
}

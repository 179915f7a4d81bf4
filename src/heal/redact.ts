/** Secret shapes removed from kept output (DESIGN.md, aider-watch; issue 5, behaviour 5). */
const SECRET_PATTERNS: readonly RegExp[] = [
  /sk-[A-Za-z0-9_-]{8,}/g,
  /ghp_[A-Za-z0-9]{8,}/g,
  /nvapi-[A-Za-z0-9_-]{8,}/g,
  /Bearer\s+[A-Za-z0-9._~+/=-]+/gi,
];

/** `text` with OpenAI-style, GitHub, NVIDIA keys and bearer tokens replaced by `[redacted]`. */
export function redactSecrets(text: string): string {
  return SECRET_PATTERNS.reduce((s, re) => s.replace(re, "[redacted]"), text);
}

/** The last `max` characters of `text`, redacted (output is kept in audit rows). */
export function keepOutput(text: string, max = 4000): string {
  const redacted = redactSecrets(text);
  return redacted.length > max ? `…${redacted.slice(-max)}` : redacted;
}

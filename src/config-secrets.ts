import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConfigError } from "./errors.ts";

/**
 * Variables holding secrets. Each can also be given as `<NAME>_FILE`, the path of a file
 * holding the value (Docker and Compose secrets mount them under /run/secrets;
 * https://docs.docker.com/compose/how-tos/use-secrets/).
 */
export const SECRET_VARIABLES = [
  "TELEGRAM_BOT_TOKEN",
  "TELEGRAM_WEBHOOK_SECRET",
  "ADMIN_TOKEN",
  "INGEST_TOKEN",
  "ENCRYPTION_KEY",
  "DATABASE_URL",
] as const;

/** The `<NAME>_FILE` variable of each of {@link SECRET_VARIABLES}. */
export const SECRET_FILE_VARIABLES = SECRET_VARIABLES.map((name) => `${name}_FILE`);

/**
 * `env` with each `<NAME>_FILE` of {@link SECRET_VARIABLES} replaced by `NAME` = the file's
 * content without its trailing line break (what `echo … > file` leaves).
 * @throws ConfigError naming `<NAME>_FILE` when the file cannot be read or is empty, or naming
 *   `NAME` when both `NAME` and `<NAME>_FILE` are set.
 */
export function readSecretFiles(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const name of SECRET_VARIABLES) {
    const fileVar = `${name}_FILE`;
    const path = env[fileVar]?.trim();
    delete out[fileVar];
    if (!path) continue;
    if (env[name]?.trim()) throw new ConfigError(name, `set ${name} or ${fileVar}, not both`);
    let value: string;
    try {
      value = readFileSync(path, "utf8").replace(/\r?\n$/, "");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
      throw new ConfigError(fileVar, `cannot read ${path} (${code})`);
    }
    if (value.trim() === "") throw new ConfigError(fileVar, `${path} is empty`);
    out[name] = value;
  }
  return out;
}

/**
 * Shortest bearer token or webhook secret accepted: 24 characters. 24 random characters of
 * the base64url alphabet carry 144 bits; `openssl rand -hex 16` (32 characters) is the
 * documented way to make one. Guessing is also slowed per client (src/http/auth-limiter.ts).
 */
export const MIN_TOKEN_LENGTH = 24;

/**
 * Why `token` is too weak to guard an API, or undefined when it is acceptable: at least
 * {@link MIN_TOKEN_LENGTH} characters, no whitespace, and at least 8 different characters
 * (so `aaaa…` or `abababab…` of any length is refused).
 */
export function weakTokenReason(token: string): string | undefined {
  if (/\s/.test(token)) return "must not contain whitespace";
  if (token.length < MIN_TOKEN_LENGTH)
    return `too short (${token.length} characters; at least ${MIN_TOKEN_LENGTH}, e.g. \`openssl rand -hex 16\`)`;
  if (new Set(token).size < 8) return "too few different characters; use a random token";
  return undefined;
}

/**
 * The webhook secret used when `TELEGRAM_WEBHOOK_URL` is set without
 * `TELEGRAM_WEBHOOK_SECRET`: HMAC-SHA256 of a fixed label keyed by the bot token, base64url
 * (43 characters of `A-Z a-z 0-9 _ -`, as Telegram's `secret_token` allows). Every replica
 * with the same bot token derives the same secret, and nobody without the token can.
 */
export function deriveWebhookSecret(botToken: string): string {
  return createHmac("sha256", botToken)
    .update("commandpost telegram webhook secret v1")
    .digest("base64url");
}

import { pino } from "pino";
import { redactText } from "./redact.ts";

/** Paths never written to logs (CONVENTIONS habit 8). */
export const REDACT_PATHS = [
  "authorization",
  "api_key",
  "apiKey",
  "token",
  "key",
  "*.authorization",
  "*.api_key",
  "*.apiKey",
  "*.token",
  "*.key",
  "req.headers.authorization",
  "req.headers['x-telegram-bot-api-secret-token']",
];

/**
 * Creates the process logger (pino, JSON to `destination`, default stdout). Secrets are
 * kept out twice: known fields by path ({@link REDACT_PATHS}), and secrets inside any text
 * (an error message holding a Bot API URL with the bot token, a database URL with its
 * password) by the patterns of src/redact.ts, applied to each serialised line. `mixin` adds
 * fields to every line (the active trace and span ids when tracing is on).
 */
export function createLogger(
  level: string,
  opts: { mixin?: () => Record<string, string>; destination?: pino.DestinationStream } = {},
): pino.Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    hooks: { streamWrite: (line) => redactText(line, "[redacted]") },
    ...(opts.mixin && { mixin: opts.mixin }),
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** The logger type used everywhere. */
export type Logger = pino.Logger;

import { pino } from "pino";

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
 * Creates the process logger (pino, JSON to stdout). `mixin` adds fields to every line (the
 * active trace and span ids when tracing is on); without it nothing is added.
 */
export function createLogger(level: string, mixin?: () => Record<string, string>): pino.Logger {
  return pino({
    level,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    ...(mixin && { mixin }),
  });
}

/** The logger type used everywhere. */
export type Logger = pino.Logger;

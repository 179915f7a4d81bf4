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

/** Creates the process logger (pino, JSON to stdout). */
export function createLogger(level: string): pino.Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: "[redacted]" } });
}

/** The logger type used everywhere. */
export type Logger = pino.Logger;

import { createLogger, type Logger } from "../../src/logger.ts";

/** A logger for tests: silent unless TEST_LOG_LEVEL is set. */
export const testLogger = createLogger(process.env.TEST_LOG_LEVEL ?? "silent");

/** A real process logger (redaction included) whose JSON lines the test reads. */
export function capturingLogger(level = "info"): {
  logger: Logger;
  /** The serialised lines, as they would reach stdout. */
  lines: string[];
  /** The lines parsed. */
  entries(): Record<string, unknown>[];
} {
  const lines: string[] = [];
  const logger = createLogger(level, { destination: { write: (l: string) => void lines.push(l) } });
  return {
    logger,
    lines,
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

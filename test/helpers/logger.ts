import { createLogger } from "../../src/logger.ts";

/** A logger for tests: silent unless TEST_LOG_LEVEL is set. */
export const testLogger = createLogger(process.env.TEST_LOG_LEVEL ?? "silent");

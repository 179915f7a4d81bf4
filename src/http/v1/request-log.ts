import type { Logger } from "../../logger.ts";

/**
 * The logger of one `/v1` request: a pino child carrying `request_id` (as Fastify's request
 * loggers did), made only when a line is written, so a request that logs nothing costs no
 * child logger.
 */
export class RequestLog {
  #child: Logger | undefined;

  constructor(
    private readonly base: Logger,
    private readonly requestId: string,
  ) {}

  /** The child logger (made on first use). */
  get(): Logger {
    this.#child ??= this.base.child({ request_id: this.requestId });
    return this.#child;
  }

  /** Whether `level` is written at all (asked of the process logger, no child made). */
  enabled(level: "debug" | "info"): boolean {
    return this.base.isLevelEnabled(level);
  }
}

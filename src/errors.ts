/** Turns anything thrown into an Error (graphile-worker's `coerceError` habit). */
export function coerceError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === "string" ? err : JSON.stringify(err));
}

/**
 * A client mistake that maps to a 4xx answer. `field` names the offending input so the
 * response can say what is wrong.
 */
export class InputError extends Error {
  readonly statusCode: number;
  readonly field: string | undefined;
  constructor(message: string, options: { field?: string; statusCode?: number } = {}) {
    super(message);
    this.name = "InputError";
    this.field = options.field;
    this.statusCode = options.statusCode ?? 400;
  }
}

/** A lookup that found nothing (404). */
export class NotFoundError extends InputError {
  constructor(what: string) {
    super(`${what} not found`, { statusCode: 404 });
    this.name = "NotFoundError";
  }
}

/** Invalid configuration: the process stops with one line naming `variable`. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
    this.variable = variable;
  }
}

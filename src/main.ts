import { packageVersion } from "./build-info.ts";
import { loadConfig } from "./config.ts";
import { ConfigError, coerceError } from "./errors.ts";
import { createLogger } from "./logger.ts";

/** Time the stop may take past the grace before the process gives up on it (ms). */
const STOP_MARGIN_MS = 15_000;

/**
 * Process entry: config → (tracing) → app → listen. SIGINT/SIGTERM stop it gracefully
 * (app.stop: the HTTP drain within `SHUTDOWN_GRACE_S`, outbox claims released, database
 * closed) and exit 0; a second signal exits 1 at once. Invalid configuration exits 1 with one
 * line naming the variable. With `OTEL_EXPORTER_OTLP_ENDPOINT` set, OpenTelemetry is loaded
 * and started before the app is imported; without it no tracing code is loaded at all.
 */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`commandpost: invalid configuration: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const tracing = config.otlpEndpoint
    ? (await import("./tracing/tracing.ts")).startTracing({ version: packageVersion() })
    : undefined;
  const logger = createLogger(config.logLevel, { mixin: tracing?.logMixin });
  if (tracing && config.otlpEndpoint)
    logger.info({ otlp: new URL(config.otlpEndpoint).host }, "tracing on: OTLP/HTTP export");
  const { createApp } = await import("./app.ts");
  const app = await createApp(config, { logger, tracing });
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    signalled = true;
    logger.info({ signal, graceS: config.shutdownGraceMs / 1000 }, "stopping");
    setTimeout(() => {
      logger.error("stop took too long; exiting");
      process.exit(1);
    }, config.shutdownGraceMs + STOP_MARGIN_MS).unref();
    app
      .stop()
      .then(() => {
        logger.info("stopped");
        process.exit(0);
      })
      .catch((err) => {
        logger.error({ err: coerceError(err) }, "unclean stop");
        process.exit(1);
      });
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  const port = await app.start();
  logger.info({ port, host: config.host, database: app.database.kind }, "commandpost listening");
}

main().catch((err) => {
  process.stderr.write(`commandpost: failed to start: ${coerceError(err).message}\n`);
  process.exit(1);
});

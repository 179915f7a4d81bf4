import { packageVersion } from "./build-info.ts";
import { loadConfig } from "./config.ts";
import { ConfigError, coerceError } from "./errors.ts";
import { createLogger } from "./logger.ts";

/**
 * Process entry: config → (tracing) → app → listen; SIGINT/SIGTERM stop it cleanly (HTTP
 * closed, bot stopped, database closed). Invalid configuration exits 1 with one line naming
 * the variable. With `OTEL_EXPORTER_OTLP_ENDPOINT` set, OpenTelemetry is loaded and started
 * before the app is imported; without it no tracing code is loaded at all.
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
  const logger = createLogger(config.logLevel, tracing?.logMixin);
  if (tracing && config.otlpEndpoint)
    logger.info({ otlp: new URL(config.otlpEndpoint).host }, "tracing on: OTLP/HTTP export");
  const { createApp } = await import("./app.ts");
  const app = await createApp(config, { logger, tracing });
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, "stopping");
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

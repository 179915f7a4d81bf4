import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "../../db/client.ts";
import { type App, type AppOptions, createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { testLogger } from "./logger.ts";

/** Tokens every test app is configured with (24+ characters, distinct: config-secrets.ts). */
export const ADMIN_TOKEN = "test-admin-token-3f9c2a7e81d4";
export const INGEST_TOKEN = "test-ingest-token-b62d0e5c47a9";
/** A fixed 32-byte key (64 hex chars). */
export const ENCRYPTION_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/** A started app, its base URL and a cleanup. */
export interface TestApp {
  app: App;
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts the real app on a free port over `database`, with test tokens and any `env`
 * overrides (variable names as in the README). `stop` stops it and removes its DATA_DIR;
 * the database is closed by the app.
 */
export async function startTestApp(
  database: Database,
  env: Record<string, string> = {},
  opts: Partial<AppOptions> = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), "cp-test-"));
  const config = loadConfig({
    PORT: "0",
    DATA_DIR: dataDir,
    ADMIN_TOKEN,
    INGEST_TOKEN,
    ENCRYPTION_KEY,
    LOG_LEVEL: "silent",
    // No cron triggers in tests: a real 5-minute boundary must not run smoke checks mid-test.
    // Scheduler tests call `app.schedules.scheduler.runJob` with the instant they want.
    SCHEDULER_ENABLED: "false",
    ...env,
  });
  const app = await createApp(config, { logger: testLogger, database, ...opts });
  const port = await app.start();
  return {
    app,
    port,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** JSON fetch with a bearer token. */
export async function call(
  url: string,
  init: { method?: string; token?: string; body?: unknown } = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect response bodies ad hoc
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: {
      ...(init.token && { authorization: `Bearer ${init.token}` }),
      ...(init.body !== undefined && { "content-type": "application/json" }),
    },
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === "string"
          ? init.body
          : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}

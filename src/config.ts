import { z } from "zod";
import {
  deriveWebhookSecret,
  readSecretFiles,
  SECRET_FILE_VARIABLES,
  weakTokenReason,
} from "./config-secrets.ts";
import {
  type DashboardSettings,
  dashboardEnvShape,
  dashboardSettings,
} from "./dashboard/dashboard-config.ts";
import { ConfigError } from "./errors.ts";
import {
  type HealSettings,
  healEnvShape,
  healSettings,
  runningLimitMs,
} from "./heal/heal-config.ts";
import {
  type HeartbeatSettings,
  heartbeatEnvShape,
  heartbeatSettings,
} from "./heartbeats/heartbeat-config.ts";
import { loadRoutes, type RoutesConfig } from "./notifications/routes-config.ts";
import { type SmokeSettings, smokeEnvShape, smokeSettings } from "./smoke/smoke-config.ts";
import { type TriageSettings, triageEnvShape, triageSettings } from "./triage/triage-config.ts";

const idList = z
  .string()
  .trim()
  .transform((s, ctx) => {
    if (s === "") return [] as number[];
    const ids = s.split(",").map((p) => p.trim());
    const out: number[] = [];
    for (const id of ids) {
      if (!/^-?\d+$/.test(id)) {
        ctx.addIssue({ code: "custom", message: `"${id}" is not a numeric Telegram id` });
        return z.NEVER;
      }
      out.push(Number(id));
    }
    return out;
  });

const optionalString = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === "" ? undefined : s.trim()));

const timezone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: "not an IANA time zone" },
);

const intInRange = (min: number, max: number, dflt: number) =>
  z.coerce.number().int().min(min).max(max).default(dflt);

/** A per-severity dedup window override in seconds (unset → `DEDUP_WINDOW_S`). */
const windowOverride = z.coerce
  .number()
  .int()
  .min(1)
  .max(7 * 86_400)
  .optional();

/** A bearer token or shared secret: unset, or strong (config-secrets.ts, weakTokenReason). */
const strongToken = (format?: { re: RegExp; message: string }) =>
  optionalString.pipe(
    z
      .string()
      .superRefine((s, ctx) => {
        const weak = weakTokenReason(s);
        if (weak) ctx.addIssue({ code: "custom", message: weak });
        else if (format && !format.re.test(s))
          ctx.addIssue({ code: "custom", message: format.message });
      })
      .optional(),
  );

/**
 * Environment schema: variable names are the keys (README, Configuration). The secret ones
 * may also come from files, `<NAME>_FILE` (config-secrets.ts).
 */
export const envSchema = z.object({
  PORT: intInRange(0, 65535, 8080),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_URL: optionalString.pipe(z.url().optional()),
  TELEGRAM_BOT_TOKEN: optionalString.pipe(
    z
      .string()
      .regex(/^\d+:[\w-]+$/, "expected <bot id>:<secret>")
      .optional(),
  ),
  TELEGRAM_API_ROOT: z.url().default("https://api.telegram.org"),
  TELEGRAM_ADMIN_IDS: idList.default([]),
  TELEGRAM_ALERT_CHAT_IDS: idList.optional(),
  TELEGRAM_WEBHOOK_URL: optionalString.pipe(z.url().optional()),
  /** Unset with a webhook URL: derived from the bot token (config-secrets.ts). */
  TELEGRAM_WEBHOOK_SECRET: strongToken({
    re: /^[A-Za-z0-9_-]{1,256}$/,
    message: "up to 256 characters of A-Z a-z 0-9 _ - (Telegram's secret_token)",
  }),
  ADMIN_TOKEN: strongToken(),
  INGEST_TOKEN: strongToken(),
  ENCRYPTION_KEY: optionalString.pipe(
    z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, "expected 64 hex characters (32 bytes)")
      .optional(),
  ),
  REPORT_TIMEZONE: timezone.default("Asia/Taipei"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Outbox: attempts before a delivery is dead. */
  OUTBOX_MAX_ATTEMPTS: intInRange(1, 100, 8),
  /** Outbox: seconds a claimed delivery stays leased before another worker may take it. */
  OUTBOX_LEASE_S: intInRange(1, 3600, 30),
  /** Dedup window in seconds (10 min by default); per-severity overrides below. */
  DEDUP_WINDOW_S: intInRange(1, 7 * 86_400, 600),
  DEDUP_WINDOW_CRITICAL_S: windowOverride,
  DEDUP_WINDOW_WARNING_S: windowOverride,
  /** Proxy cooldown after a 429: base and cap in seconds (defaults 30 s and 600 s). */
  PROXY_COOLDOWN_BASE_S: intInRange(1, 3600, 30),
  PROXY_COOLDOWN_MAX_S: intInRange(1, 86_400, 600),
  /** Seconds between backend health probes (`GET {base}/models`). */
  PROXY_HEALTH_INTERVAL_S: intInRange(5, 3600, 60),
  /** Seconds between usage flushes from memory to the database. */
  USAGE_FLUSH_INTERVAL_S: intInRange(1, 600, 10),
  /**
   * Proxy wait queue: requests held while no backend can take them, and the longest wait in
   * seconds before 503 (0 = answer 503 at once). 500 / 30 s are the figures the proxy this
   * replaces declared.
   */
  PROXY_QUEUE_MAX: intInRange(0, 100_000, 500),
  PROXY_QUEUE_TIMEOUT_S: intInRange(0, 600, 30),
  /** OTLP/HTTP endpoint for traces; unset = tracing off (src/tracing). */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.pipe(z.url().optional()),
  /** Names the build in `commandpost_build_info` (e.g. the git commit). */
  COMMANDPOST_REVISION: optionalString,
  /** Smoke thresholds, retention and `SCHEDULER_ENABLED`. */
  ...smokeEnvShape,
  /** Heal plans: repo, guardrails, fixer and command allowlist. */
  ...healEnvShape,
  /** Agent heartbeats: `AGENT_CLASSES`, `AGENT_WATCHDOG_INTERVAL_S`. */
  ...heartbeatEnvShape,
  /** Seconds in-flight requests and streams get to finish after SIGTERM (src/http/drain.ts). */
  SHUTDOWN_GRACE_S: intInRange(0, 3600, 15),
  /** Dashboard: `PUBLIC_URL`, `DASHBOARD_SESSION_TTL_S` (src/dashboard/dashboard-config.ts). */
  ...dashboardEnvShape,
  /** AI triage through the proxy: `TRIAGE_MODEL`, `TRIAGE_TIMEOUT_S`, `TRIAGE_MAX_PER_HOUR`. */
  ...triageEnvShape,
  /** Replicas: seconds between membership renewals; 3 missed = gone (docs/operations.md). */
  REPLICA_RENEW_S: intInRange(1, 60, 5),
  /** Notification routes as JSON (src/notifications/routes-config.ts, docs/operations.md). */
  NOTIFY_ROUTES: optionalString,
  /** A path to the same routes as JSON or YAML (instead of NOTIFY_ROUTES). */
  NOTIFY_ROUTES_FILE: optionalString,
  /** Seconds between escalation and repeat checks (src/notifications/escalations.ts). */
  NOTIFY_TICK_S: intInRange(1, 3600, 15),
  /** Alertmanager's base URL: mutes become its silences (src/mutes/alertmanager-silences.ts). */
  ALERTMANAGER_URL: optionalString.pipe(z.url().optional()),
});

/** Every variable the process reads: the schema's keys and the `<NAME>_FILE` secrets. */
export const CONFIG_VARIABLES: readonly string[] = [
  ...Object.keys(envSchema.shape),
  ...SECRET_FILE_VARIABLES,
];

/** The typed configuration every service is built from. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  telegram: {
    token: string | undefined;
    apiRoot: string;
    adminIds: number[];
    alertChatIds: number[];
    webhookUrl: string | undefined;
    /** Set whenever `webhookUrl` and `token` are: given, or derived from the token. */
    webhookSecret: string | undefined;
  };
  adminToken: string | undefined;
  ingestToken: string | undefined;
  /** 64 hex chars, or undefined: then a key file in `dataDir` is used (see key-file.ts). */
  encryptionKeyHex: string | undefined;
  reportTimezone: string;
  logLevel: string;
  outbox: { maxAttempts: number; leaseMs: number };
  /** Dedup window per severity in ms (`DEDUP_WINDOW_S`, `DEDUP_WINDOW_<SEVERITY>_S`). */
  events: { dedupWindowsMs: { critical: number; warning: number; info: number } };
  proxy: {
    cooldownBaseS: number;
    cooldownMaxS: number;
    healthIntervalMs: number;
    usageFlushMs: number;
    queueMax: number;
    queueTimeoutMs: number;
  };
  /** OTLP/HTTP endpoint for traces, or undefined (tracing off). */
  otlpEndpoint: string | undefined;
  /** Source revision shown in `commandpost_build_info`. */
  revision: string;
  /** Smoke checks and the scheduler. */
  smoke: SmokeSettings;
  /** Heal plans. */
  heal: HealSettings;
  /** Agent heartbeats. */
  heartbeats: HeartbeatSettings;
  /** Time in-flight HTTP requests and streams get after SIGTERM, in ms (`SHUTDOWN_GRACE_S`). */
  shutdownGraceMs: number;
  /** The dashboard Mini App and its login links. */
  dashboard: DashboardSettings;
  /** AI triage and report summaries (src/triage). */
  triage: TriageSettings;
  /** Replicas on one Postgres (src/replicas, docs/operations.md "Scaling out"). */
  replicas: { renewMs: number };
  /**
   * Notification routing: the parsed `NOTIFY_ROUTES` (undefined = everything to
   * `telegram.alertChatIds`) and the escalation tick in ms (`NOTIFY_TICK_S`).
   */
  notifications: { routes: RoutesConfig | undefined; tickMs: number };
  /** Alertmanager's base URL without a trailing slash (`ALERTMANAGER_URL`), or undefined. */
  alertmanagerUrl: string | undefined;
}

/**
 * Parses the environment into a {@link Config}; secrets may come from `<NAME>_FILE` files.
 * @throws ConfigError naming the first invalid variable; also when `ADMIN_TOKEN` equals
 *   `INGEST_TOKEN` (one leaked token must not open both APIs).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty value (`X=` in a .env file, `${X:-}` in compose) means "unset": defaults apply.
  const present = Object.fromEntries(
    Object.entries(readSecretFiles(env)).filter(([, v]) => v !== undefined && v.trim() !== ""),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? "environment");
    throw new ConfigError(variable, issue?.message ?? "invalid");
  }
  const e = parsed.data;
  if (e.ADMIN_TOKEN !== undefined && e.ADMIN_TOKEN === e.INGEST_TOKEN)
    throw new ConfigError("ADMIN_TOKEN", "must differ from INGEST_TOKEN");
  const heal = healSettings(e);
  const webhookSecret =
    e.TELEGRAM_WEBHOOK_SECRET ??
    (e.TELEGRAM_WEBHOOK_URL && e.TELEGRAM_BOT_TOKEN
      ? deriveWebhookSecret(e.TELEGRAM_BOT_TOKEN)
      : undefined);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    telegram: {
      token: e.TELEGRAM_BOT_TOKEN,
      apiRoot: e.TELEGRAM_API_ROOT.replace(/\/+$/, ""),
      adminIds: e.TELEGRAM_ADMIN_IDS,
      alertChatIds: e.TELEGRAM_ALERT_CHAT_IDS ?? e.TELEGRAM_ADMIN_IDS,
      webhookUrl: e.TELEGRAM_WEBHOOK_URL,
      webhookSecret,
    },
    adminToken: e.ADMIN_TOKEN,
    ingestToken: e.INGEST_TOKEN,
    encryptionKeyHex: e.ENCRYPTION_KEY,
    reportTimezone: e.REPORT_TIMEZONE,
    logLevel: e.LOG_LEVEL,
    outbox: { maxAttempts: e.OUTBOX_MAX_ATTEMPTS, leaseMs: e.OUTBOX_LEASE_S * 1000 },
    events: {
      dedupWindowsMs: {
        critical: (e.DEDUP_WINDOW_CRITICAL_S ?? e.DEDUP_WINDOW_S) * 1000,
        warning: (e.DEDUP_WINDOW_WARNING_S ?? e.DEDUP_WINDOW_S) * 1000,
        info: e.DEDUP_WINDOW_S * 1000,
      },
    },
    proxy: {
      cooldownBaseS: e.PROXY_COOLDOWN_BASE_S,
      cooldownMaxS: Math.max(e.PROXY_COOLDOWN_MAX_S, e.PROXY_COOLDOWN_BASE_S),
      healthIntervalMs: e.PROXY_HEALTH_INTERVAL_S * 1000,
      usageFlushMs: e.USAGE_FLUSH_INTERVAL_S * 1000,
      queueMax: e.PROXY_QUEUE_MAX,
      queueTimeoutMs: e.PROXY_QUEUE_TIMEOUT_S * 1000,
    },
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    revision: e.COMMANDPOST_REVISION ?? "unknown",
    smoke: smokeSettings(e, { runningLimitMs: runningLimitMs(heal) }),
    heal,
    heartbeats: heartbeatSettings(e),
    shutdownGraceMs: e.SHUTDOWN_GRACE_S * 1000,
    dashboard: dashboardSettings(e),
    triage: triageSettings(e),
    replicas: { renewMs: e.REPLICA_RENEW_S * 1000 },
    notifications: { routes: loadRoutes(e), tickMs: e.NOTIFY_TICK_S * 1000 },
    alertmanagerUrl: e.ALERTMANAGER_URL?.replace(/\/+$/, ""),
  };
}

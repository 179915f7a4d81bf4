import { z } from "zod";
import { ConfigError } from "../errors.ts";

const int = (min: number, max: number, dflt: number) =>
  z.coerce.number().int().min(min).max(max).default(dflt);

const flag = z
  .enum(["true", "false", "1", "0", "yes", "no"], { message: "expected true or false" })
  .default("true")
  .transform((v) => v === "true" || v === "1" || v === "yes");

/**
 * Environment variables of smoke checks and the scheduler, spread into the
 * config schema (src/config.ts). Thresholds: a value at or above `…_WARNING…` is a warning,
 * at or above `…_CRITICAL…` critical.
 */
export const smokeEnvShape = {
  /** `false`: this replica starts no cron triggers (another replica, or nobody, runs them). */
  SCHEDULER_ENABLED: flag,
  /** Days of smoke history and schedule runs kept by the daily cleanup. */
  SMOKE_RETENTION_DAYS: int(1, 3650, 30),
  SMOKE_DB_WARNING_MS: int(1, 60_000, 250),
  SMOKE_DB_CRITICAL_MS: int(1, 60_000, 1000),
  SMOKE_OUTBOX_WARNING_PENDING: int(1, 1_000_000, 50),
  SMOKE_OUTBOX_CRITICAL_PENDING: int(1, 1_000_000, 500),
  SMOKE_OUTBOX_WARNING_AGE_S: int(1, 86_400, 120),
  SMOKE_OUTBOX_CRITICAL_AGE_S: int(1, 86_400, 900),
  /** Dead deliveries created in the last 24 h. */
  SMOKE_DEAD_WARNING: int(1, 1_000_000, 1),
  SMOKE_DEAD_CRITICAL: int(1, 1_000_000, 10),
  /** Backends cooling down at once. */
  SMOKE_COOLDOWNS_WARNING: int(1, 1000, 1),
  /** Minutes an incident may stay unacknowledged before the check turns critical. */
  SMOKE_INCIDENT_CRITICAL_MIN: int(1, 10_080, 60),
  /** Minutes after its slot before a scheduled run that has not started counts as missed. */
  SMOKE_SCHEDULE_GRACE_MIN: int(1, 1440, 10),
};

/** A warning and a critical threshold of one measure. */
export interface Levels {
  warning: number;
  critical: number;
}

/** Smoke thresholds (units in the names). */
export interface SmokeThresholds {
  databaseMs: Levels;
  outboxPending: Levels;
  outboxAgeS: Levels;
  dead24h: Levels;
  cooldownsWarning: number;
  incidentCriticalMin: number;
  scheduleGraceMin: number;
  /**
   * A heal plan `running` longer than this (ms) is stuck: the heal settings' longest possible
   * execution (fixer timeout + L4 window, src/heal/heal-config.ts `runningLimitMs`).
   */
  healRunningMs: number;
}

/** Smoke and scheduler settings of the {@link Config}. */
export interface SmokeSettings {
  schedulerEnabled: boolean;
  retentionDays: number;
  thresholds: SmokeThresholds;
}

type SmokeEnv = z.infer<z.ZodObject<typeof smokeEnvShape>>;

function levels(e: SmokeEnv, warning: keyof SmokeEnv, critical: keyof SmokeEnv): Levels {
  const w = e[warning] as number;
  const c = e[critical] as number;
  if (w > c) throw new ConfigError(warning, `must not exceed ${critical} (${c})`);
  return { warning: w, critical: c };
}

/**
 * Builds the smoke settings from parsed variables; `heal.runningLimitMs` comes from the heal
 * settings (src/heal/heal-config.ts `runningLimitMs`).
 * @throws ConfigError when a warning threshold exceeds its critical one.
 */
export function smokeSettings(e: SmokeEnv, heal: { runningLimitMs: number }): SmokeSettings {
  return {
    schedulerEnabled: e.SCHEDULER_ENABLED,
    retentionDays: e.SMOKE_RETENTION_DAYS,
    thresholds: {
      databaseMs: levels(e, "SMOKE_DB_WARNING_MS", "SMOKE_DB_CRITICAL_MS"),
      outboxPending: levels(e, "SMOKE_OUTBOX_WARNING_PENDING", "SMOKE_OUTBOX_CRITICAL_PENDING"),
      outboxAgeS: levels(e, "SMOKE_OUTBOX_WARNING_AGE_S", "SMOKE_OUTBOX_CRITICAL_AGE_S"),
      dead24h: levels(e, "SMOKE_DEAD_WARNING", "SMOKE_DEAD_CRITICAL"),
      cooldownsWarning: e.SMOKE_COOLDOWNS_WARNING,
      incidentCriticalMin: e.SMOKE_INCIDENT_CRITICAL_MIN,
      scheduleGraceMin: e.SMOKE_SCHEDULE_GRACE_MIN,
      healRunningMs: heal.runningLimitMs,
    },
  };
}

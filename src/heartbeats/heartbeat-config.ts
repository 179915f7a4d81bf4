import { z } from "zod";
import { type AgentClass, parseAgentClasses } from "./agent-classes.ts";

/**
 * Environment variables of agent heartbeats, spread into the config schema
 * (src/config.ts). `AGENT_CLASSES` is parsed by {@link heartbeatSettings}.
 */
export const heartbeatEnvShape = {
  /** JSON overriding or adding agent classes (src/heartbeats/agent-classes.ts), seconds. */
  AGENT_CLASSES: z.string().optional(),
  /** Seconds between two watchdog evaluations (from memory, no query per agent). */
  AGENT_WATCHDOG_INTERVAL_S: z.coerce.number().int().min(1).max(3600).default(15),
};

/** Heartbeat settings of the Config. */
export interface HeartbeatSettings {
  /** Classes by name: the default classes with `AGENT_CLASSES` applied. */
  classes: Record<string, AgentClass>;
  /** Watchdog period in ms (`AGENT_WATCHDOG_INTERVAL_S`). */
  watchdogIntervalMs: number;
}

type HeartbeatEnv = z.infer<z.ZodObject<typeof heartbeatEnvShape>>;

/**
 * Builds the heartbeat settings from parsed variables.
 * @throws ConfigError naming AGENT_CLASSES when its JSON or shape is invalid.
 */
export function heartbeatSettings(e: HeartbeatEnv): HeartbeatSettings {
  return {
    classes: parseAgentClasses(e.AGENT_CLASSES),
    watchdogIntervalMs: e.AGENT_WATCHDOG_INTERVAL_S * 1000,
  };
}

import { z } from "zod";
import { ConfigError } from "../errors.ts";
import { type PlanTemplate, parseTemplates } from "./plan-templates.ts";
import type { GitTarget } from "./repo-sync.ts";

const int = (min: number, max: number, dflt: number) =>
  z.coerce.number().int().min(min).max(max).default(dflt);

/** Default file allowlist (guardrail L1): Python under services/, routes/, database/. */
export const DEFAULT_FILE_ALLOWLIST = "^(services|routes|database)/.+\\.py$";
/** Default protected resources: anything named like a database service (restarting risks data). */
export const DEFAULT_PROTECTED = "(postgres|mysql|mariadb|redis|mongo|database|db)";
/** Default fixer: aider, auto-confirming, not committing (commandpost commits what L1 allows). */
export const DEFAULT_FIXER_CMD = [
  "aider",
  "--yes-always",
  "--no-git",
  "--message",
  "{message}",
  "{file}",
];

/**
 * Environment variables of heal plans, spread into the config schema. Durations of the
 * health poll are in ms so tests can shrink them (defaults: 10 s grace, every 10 s, up to 120 s).
 */
export const healEnvShape = {
  /** Git work tree code_fix plans edit (L0 checks it). Unset: code_fix plans are refused. */
  HEAL_REPO_PATH: z.string().optional(),
  /** Health URL polled after a push (L4). Unset: L4 is skipped and says so in the audit. */
  HEAL_HEALTH_URL: z.string().optional(),
  HEAL_FILE_ALLOWLIST: z.string().default(DEFAULT_FILE_ALLOWLIST),
  /** JSON array argv with `{message}` and `{file}` placeholders. */
  HEAL_FIXER_CMD: z.string().optional(),
  HEAL_FIXER_TIMEOUT_S: int(1, 3600, 600),
  /** Time between SIGTERM and SIGKILL to a fixer's or command's process group. */
  HEAL_KILL_GRACE_MS: int(0, 60_000, 5000),
  /** Remote a code_fix fetches before it starts and pushes to. */
  HEAL_GIT_REMOTE: z.string().default("origin"),
  /** Branch a code_fix starts from and pushes to. Unset: the branch checked out. */
  HEAL_GIT_BRANCH: z.string().optional(),
  /** JSON object: command name → argv template with `{target}`. */
  HEAL_COMMANDS: z.string().optional(),
  HEAL_COMMAND_TIMEOUT_S: int(1, 3600, 300),
  HEAL_PROTECTED: z.string().default(DEFAULT_PROTECTED),
  /** L3: executions allowed per rolling hour. */
  HEAL_MAX_PER_HOUR: int(1, 1000, 5),
  HEAL_HEALTH_GRACE_MS: int(0, 3_600_000, 10_000),
  HEAL_HEALTH_INTERVAL_MS: int(1, 3_600_000, 10_000),
  HEAL_HEALTH_TIMEOUT_MS: int(1, 3_600_000, 120_000),
  /** How often pending plans past their expiry lose their buttons. */
  HEAL_EXPIRY_SWEEP_MS: int(100, 3_600_000, 30_000),
  /** JSON array of plan templates: alert label matchers → kind, target, rationale, risk. */
  HEAL_TEMPLATES: z.string().optional(),
};

/** Heal plan settings of the Config. */
export interface HealSettings {
  repoPath: string | undefined;
  healthUrl: string | undefined;
  fileAllowlist: RegExp;
  fixerCmd: string[];
  fixerTimeoutMs: number;
  /** SIGTERM → SIGKILL grace for fixer and command process groups, in ms. */
  killGraceMs: number;
  /** Remote and branch of code_fix runs. */
  git: GitTarget;
  /** Allowlisted commands for restart/rollback/command plans: name → argv template. */
  commands: Record<string, string[]>;
  commandTimeoutMs: number;
  protectedPattern: RegExp;
  maxPerHour: number;
  health: { graceMs: number; intervalMs: number; timeoutMs: number };
  expirySweepMs: number;
  /** Plan templates offered on matching alerts (`HEAL_TEMPLATES`), first match wins. */
  templates: PlanTemplate[];
}

type HealEnv = z.infer<z.ZodObject<typeof healEnvShape>>;

function regex(variable: string, source: string, flags = ""): RegExp {
  try {
    return new RegExp(source, flags);
  } catch {
    throw new ConfigError(variable, "not a valid regular expression");
  }
}

const argv = z.array(z.string().min(1)).min(1);

function json<T>(variable: string, raw: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ConfigError(variable, "not valid JSON");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new ConfigError(variable, parsed.error.issues[0]?.message ?? "invalid");
  return parsed.data;
}

/**
 * Builds the heal settings from parsed variables.
 * @throws ConfigError for a bad regex, a bad JSON command list or a bad template.
 */
export function healSettings(e: HealEnv): HealSettings {
  return {
    repoPath: e.HEAL_REPO_PATH?.trim() || undefined,
    healthUrl: e.HEAL_HEALTH_URL?.trim() || undefined,
    fileAllowlist: regex("HEAL_FILE_ALLOWLIST", e.HEAL_FILE_ALLOWLIST),
    fixerCmd: e.HEAL_FIXER_CMD ? json("HEAL_FIXER_CMD", e.HEAL_FIXER_CMD, argv) : DEFAULT_FIXER_CMD,
    fixerTimeoutMs: e.HEAL_FIXER_TIMEOUT_S * 1000,
    killGraceMs: e.HEAL_KILL_GRACE_MS,
    git: { remote: e.HEAL_GIT_REMOTE.trim(), branch: e.HEAL_GIT_BRANCH?.trim() || undefined },
    commands: e.HEAL_COMMANDS
      ? json("HEAL_COMMANDS", e.HEAL_COMMANDS, z.record(z.string(), argv))
      : {},
    commandTimeoutMs: e.HEAL_COMMAND_TIMEOUT_S * 1000,
    protectedPattern: regex("HEAL_PROTECTED", e.HEAL_PROTECTED, "i"),
    maxPerHour: e.HEAL_MAX_PER_HOUR,
    health: {
      graceMs: e.HEAL_HEALTH_GRACE_MS,
      intervalMs: e.HEAL_HEALTH_INTERVAL_MS,
      timeoutMs: e.HEAL_HEALTH_TIMEOUT_MS,
    },
    expirySweepMs: e.HEAL_EXPIRY_SWEEP_MS,
    templates: parseTemplates(e.HEAL_TEMPLATES),
  };
}

/** Time the git steps of a code_fix may take besides the fixer and L4 (commit, push, revert). */
const GIT_STEPS_MS = 5 * 60_000;

/**
 * The longest an execution can legitimately stay `running`, in ms: the fixer timeout plus the
 * L4 window (grace + poll timeout) plus the git steps, or a command's timeout plus a minute,
 * whichever is longer. A plan running longer was left behind by a process that stopped.
 */
export function runningLimitMs(
  s: Pick<HealSettings, "fixerTimeoutMs" | "health" | "commandTimeoutMs">,
): number {
  const codeFix = s.fixerTimeoutMs + s.health.graceMs + s.health.timeoutMs + GIT_STEPS_MS;
  return Math.max(codeFix, s.commandTimeoutMs + 60_000);
}

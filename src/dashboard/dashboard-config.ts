import { z } from "zod";

/**
 * Environment variables of the dashboard (the Telegram Mini App under `/app/`), spread into
 * the config schema (src/config.ts).
 */
export const dashboardEnvShape = {
  /**
   * This server's public base URL, e.g. `https://ops.example.com`. Telegram opens Mini Apps
   * (`web_app` buttons) only over https, so without an https URL /dashboard offers the
   * one-time login link for a browser instead.
   */
  PUBLIC_URL: z
    .string()
    .optional()
    .transform((s) => (s === undefined || s.trim() === "" ? undefined : s.trim()))
    .pipe(
      z
        .url({ protocol: /^https?$/, message: "expected an http(s) URL" })
        .transform((u) => u.replace(/\/+$/, ""))
        .optional(),
    ),
  /** Lifetime of a browser session opened with a login link, in seconds (default 1 hour). */
  DASHBOARD_SESSION_TTL_S: z.coerce.number().int().min(60).max(86_400).default(3600),
};

/** Dashboard settings of the Config. */
export interface DashboardSettings {
  /** Public base URL without a trailing slash, or undefined. */
  publicUrl: string | undefined;
  /** Browser session lifetime, ms. */
  sessionTtlMs: number;
}

type DashboardEnv = z.infer<z.ZodObject<typeof dashboardEnvShape>>;

/** Builds the dashboard settings from parsed variables. */
export function dashboardSettings(e: DashboardEnv): DashboardSettings {
  return { publicUrl: e.PUBLIC_URL, sessionTtlMs: e.DASHBOARD_SESSION_TTL_S * 1000 };
}

import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Db } from "../../db/client.ts";
import type { AutonomyService } from "../autonomy/autonomy-service.ts";
import type { AgentView } from "../heartbeats/agent-views.ts";
import type { Logger } from "../logger.ts";
import type { ProxyModule } from "../proxy/proxy-module.ts";
import type { SmokeStore } from "../smoke/smoke-store.ts";
import type { Clock } from "../types.ts";
import { lazyAssets } from "./assets.ts";
import { createDashboardAuth } from "./dashboard-auth.ts";
import type { DashboardSettings } from "./dashboard-config.ts";
import { createDashboardData } from "./dashboard-data.ts";
import { registerDashboardRoutes } from "./dashboard-routes.ts";
import { createLoginStore } from "./login-store.ts";
import type { ReplicaInfo } from "./overview-data.ts";

/** What the dashboard needs from the rest of the application (built in src/app.ts). */
export interface DashboardModuleDeps {
  settings: DashboardSettings;
  /** Signs Mini App launch data; unset → only browser sessions work. */
  botToken: string | undefined;
  adminIds: readonly number[];
  db: Db;
  clock: Clock;
  logger: Logger;
  /** `REPORT_TIMEZONE`. */
  timeZone: string;
  /** `HOST`: the local address a login link uses when `PUBLIC_URL` is unset. */
  listenHost: string;
  proxy: Pick<ProxyModule, "flusher" | "usageStore" | "cooldowns">;
  /** The autonomy index of a window and per local day (src/autonomy). */
  autonomy: Pick<AutonomyService, "window" | "series">;
  smoke: Pick<SmokeStore, "between">;
  /** Heartbeating agents (HeartbeatService `list`). */
  agents: () => AgentView[];
  /** Replicas from a membership service, when there is one. */
  replicas?: () => Promise<ReplicaInfo[]>;
  startedAt: Date;
}

/** How /dashboard opens the dashboard for one admin. */
export interface DashboardEntry {
  /** `PUBLIC_URL/app/` when it is https (Telegram opens Mini Apps only over https). */
  appUrl: string | undefined;
  /** A one-time login link for a browser. */
  loginUrl: string;
  expiresAt: Date;
  /** `PUBLIC_URL` as configured (http or https), or undefined. */
  publicUrl: string | undefined;
}

/** The dashboard: Mini App, browser login and data API. */
export type DashboardModule = ReturnType<typeof createDashboardModule>;

/** Builds the dashboard; routes exist once {@link DashboardModule.register} is called. */
export function createDashboardModule(deps: DashboardModuleDeps) {
  const log = deps.logger.child({ component: "dashboard" });
  const { publicUrl } = deps.settings;
  const store = createLoginStore({
    db: deps.db,
    clock: deps.clock,
    sessionTtlMs: deps.settings.sessionTtlMs,
  });
  const data = createDashboardData({
    db: deps.db,
    clock: deps.clock,
    timeZone: deps.timeZone,
    usage: async (from, to) => {
      await deps.proxy.flusher.flush();
      return deps.proxy.usageStore.range(from, to);
    },
    cooldownsSince: (from) => deps.proxy.cooldowns.since(from),
    autonomy: deps.autonomy,
    smokeRuns: (from, to) => deps.smoke.between(from, to),
    agents: deps.agents,
    replicas: deps.replicas,
    startedAt: deps.startedAt,
  });
  const auth = createDashboardAuth({
    botToken: deps.botToken,
    adminIds: deps.adminIds,
    store,
    clock: deps.clock,
    logger: log,
  });
  // The app bundle is built on the first request for it (about 0.1 s), not at start.
  const assets = lazyAssets();
  let http: FastifyInstance | undefined;

  /** `http://host:port` of this listener, for login links without `PUBLIC_URL`. */
  function localUrl(): string {
    const port = (http?.server.address() as AddressInfo | null)?.port ?? 0;
    const h = deps.listenHost;
    const host =
      h === "0.0.0.0" ? "127.0.0.1" : h === "::" ? "[::1]" : h.includes(":") ? `[${h}]` : h;
    return `http://${host}:${port}`;
  }

  return {
    data,
    store,
    auth,

    /** Registers `/app/*` and `/api/app/*` on the HTTP server. */
    register(server: FastifyInstance): void {
      http = server;
      registerDashboardRoutes(server, {
        assets,
        auth,
        data,
        store,
        adminIds: deps.adminIds,
        timeZone: deps.timeZone,
        sessionTtlMs: deps.settings.sessionTtlMs,
        secureCookie: publicUrl?.startsWith("https://") ?? false,
        logger: log,
      });
    },

    /** Issues a one-time login link for `userId` and says how to open the Mini App. */
    async entry(userId: number): Promise<DashboardEntry> {
      const link = await store.issueLink(userId);
      const base = publicUrl ?? localUrl();
      return {
        appUrl: publicUrl?.startsWith("https://") ? `${publicUrl}/app/` : undefined,
        loginUrl: `${base}/app/login?token=${link.token}`,
        expiresAt: link.expiresAt,
        publicUrl,
      };
    },
  };
}

import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ProxyModule } from "../../proxy/proxy-module.ts";
import {
  dayKey,
  dimensionKey,
  groupUsage,
  summarize,
  type UsageDimension,
} from "../../proxy/stats.ts";
import type { Clock } from "../../types.ts";
import { parseInput } from "../../validation.ts";

const idParams = z.object({ id: z.string().min(1).max(64) });
const isoTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const statsQuery = z.object({
  from: isoTime.optional(),
  to: isoTime.optional(),
  group_by: z.enum(["backend", "model", "agent"]).default("backend"),
});

const HOUR = 3_600_000;

/**
 * Proxy administration under `/api/admin` (README, HTTP surface): backends CRUD, pools,
 * cooldowns, agents (proxy keys) and usage stats. Registered inside the admin scope, which
 * already requires `ADMIN_TOKEN`.
 */
export function registerProxyAdminRoutes(
  admin: FastifyInstance,
  deps: { proxy: ProxyModule; clock: Clock; timeZone: string },
): void {
  const { proxy, clock } = deps;
  const id = (params: unknown) => parseInput(idParams, params).id;

  admin.get("/api/admin/backends", async () => ({ backends: await proxy.live() }));
  admin.post("/api/admin/backends", async (req, reply) =>
    reply.code(201).send(await proxy.backends.create(req.body)),
  );
  admin.get("/api/admin/backends/:id", async (req) => proxy.backends.get(id(req.params)));
  admin.patch("/api/admin/backends/:id", async (req) =>
    proxy.backends.update(id(req.params), req.body),
  );
  admin.delete("/api/admin/backends/:id", async (req, reply) => {
    await proxy.backends.remove(id(req.params));
    return reply.code(204).send();
  });
  admin.get("/api/admin/pools", async () => ({ pools: await proxy.pools() }));

  admin.get("/api/admin/cooldowns", async () => {
    const nowMs = clock.now().getTime();
    const active = [...proxy.runtime.cooldowns.active(nowMs)].map(([backendId, endMs]) => ({
      backend_id: backendId,
      backend: proxy.registry.get(backendId)?.name ?? backendId,
      ends_at: new Date(endMs).toISOString(),
      seconds_left: Math.ceil((endMs - nowMs) / 1000),
    }));
    const recent = (await proxy.cooldowns.recent(50)).map((c) => ({
      backend: c.backendName,
      started_at: c.startedAt.toISOString(),
      ends_at: c.endsAt.toISOString(),
      strike: c.strike,
      retry_after_s: c.retryAfterS,
      reason: c.reason,
      cleared_at: c.clearedAt?.toISOString() ?? null,
      cleared_by: c.clearedBy,
    }));
    return { active, recent };
  });
  admin.delete("/api/admin/cooldowns/:id", async (req) => ({
    cleared: await proxy.clearCooldown(id(req.params), "admin API"),
  }));

  admin.get("/api/admin/agents", async () => ({ agents: await proxy.agentKeys.list() }));
  admin.post("/api/admin/agents", async (req, reply) =>
    reply.code(201).send(await proxy.agentKeys.create(req.body)),
  );
  admin.delete("/api/admin/agents/:id", async (req) => proxy.agentKeys.revoke(id(req.params)));

  /** Reads usage after flushing what is still in memory, so answers are current. */
  const rowsBetween = async (from: Date, to: Date) => {
    await proxy.flusher.flush();
    return proxy.usageStore.range(from, to);
  };
  admin.get("/api/admin/stats/total", async (req) => {
    const q = parseInput(statsQuery, req.query);
    const rows = await rowsBetween(
      q.from ?? new Date(0),
      q.to ?? new Date(clock.now().getTime() + HOUR),
    );
    return {
      total: summarize(rows),
      group_by: q.group_by,
      groups: groupUsage(rows, dimensionKey(q.group_by as UsageDimension)),
    };
  });
  admin.get("/api/admin/stats/hourly", async (req) => {
    const q = parseInput(statsQuery, req.query);
    const to = q.to ?? new Date(clock.now().getTime() + HOUR);
    const rows = await rowsBetween(q.from ?? new Date(to.getTime() - 25 * HOUR), to);
    return { hours: groupUsage(rows, (r) => r.hour.toISOString()) };
  });
  admin.get("/api/admin/stats/daily", async (req) => {
    const q = parseInput(statsQuery, req.query);
    const to = q.to ?? new Date(clock.now().getTime() + HOUR);
    const rows = await rowsBetween(q.from ?? new Date(to.getTime() - 31 * 24 * HOUR), to);
    return { time_zone: deps.timeZone, days: groupUsage(rows, dayKey(deps.timeZone)) };
  });
}

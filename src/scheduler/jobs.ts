import type { ChatTarget } from "../notifications/notification-router.ts";
import type { Digests } from "../reports/digests.ts";
import type { SmokeService } from "../smoke/smoke-service.ts";
import type { ScheduleRuns } from "./schedule-runs.ts";
import type { JobName } from "./schedule-spec.ts";
import type { JobContext, JobHandler } from "./scheduler.ts";

/** Dependencies of {@link createJobHandlers}. */
export interface JobHandlerDeps {
  smoke: Pick<SmokeService, "run" | "store">;
  digests: Digests;
  runs: Pick<ScheduleRuns, "deleteBefore">;
  /**
   * Where a digest goes: kind `digest` (label `report` = daily or weekly) or
   * `smoke_summary`, routed by src/notifications (else `TELEGRAM_ALERT_CHAT_IDS`).
   */
  chatIds: (kind: "digest" | "smoke_summary", report?: string) => readonly ChatTarget[];
  /** `SMOKE_RETENTION_DAYS`. */
  retentionDays: number;
}

const DAY_MS = 86_400_000;

/**
 * What each scheduled job does. Digests are queued with the period in
 * their dedup key (`digest:<period key>:<chat>`), the second guard after the period claim.
 * Each handler resolves to the one line stored as the run's detail.
 */
export function createJobHandlers(deps: JobHandlerDeps): Record<JobName, JobHandler> {
  const target = (ctx: JobContext, kind: "digest" | "smoke_summary", report?: string) => ({
    chatIds: deps.chatIds(kind, report),
    dedupBase: `digest:${ctx.periodKey}`,
  });
  const queued = (kind: "digest" | "smoke_summary", report?: string) => {
    const n = deps.chatIds(kind, report).length;
    return n === 0 ? "no chat to send to (TELEGRAM_ALERT_CHAT_IDS)" : `queued for ${n} chat(s)`;
  };
  return {
    async smoke() {
      const run = await deps.smoke.run("schedule");
      const bad = run.results.filter((r) => r.status === "warning" || r.status === "critical");
      return `${run.overall}${bad.length ? `: ${bad.map((r) => `${r.name} ${r.status}`).join(", ")}` : ""}`;
    },
    async smoke_summary(ctx) {
      await deps.digests.smokeSummary(ctx.slot, target(ctx, "smoke_summary"));
      return queued("smoke_summary");
    },
    async daily_report(ctx) {
      await deps.digests.report("daily", ctx.slot, target(ctx, "digest", "daily"));
      return queued("digest", "daily");
    },
    async weekly_report(ctx) {
      await deps.digests.report("weekly", ctx.slot, target(ctx, "digest", "weekly"));
      return queued("digest", "weekly");
    },
    async cleanup(ctx) {
      const cutoff = new Date(ctx.slot.getTime() - deps.retentionDays * DAY_MS);
      const smoke = await deps.smoke.store.deleteBefore(cutoff);
      const runs = await deps.runs.deleteBefore(cutoff);
      return `deleted ${smoke} smoke runs and ${runs} schedule runs older than ${deps.retentionDays} days`;
    },
  };
}

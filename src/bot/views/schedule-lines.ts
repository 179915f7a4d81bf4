import type { ScheduleLine, ScheduleStatus } from "../../scheduler/schedule-status.ts";
import { escapeHtml } from "../../telegram-format.ts";
import { formatWhen } from "../../time-format.ts";

const OUTCOME_ICON = { ok: "✅", failed: "❌", running: "⏳" } as const;
const SMOKE_ICON = { warning: "🟡", critical: "🔴" } as const;

/**
 * What a run's line says: the job's outcome, except for the smoke job, whose run is `ok`
 * whenever the checks ran; its detail starts with the checks' worst status, so a warning run
 * shows 🟡 warning, not ✅ ok.
 */
function outcomeOf(j: ScheduleLine): { icon: string; word: string } {
  const last = j.last;
  if (!last) return { icon: "", word: "never run" };
  if (j.job === "smoke" && last.outcome === "ok") {
    const level = /^(warning|critical)\b/.exec(last.detail ?? "")?.[1] as
      | keyof typeof SMOKE_ICON
      | undefined;
    if (level) return { icon: SMOKE_ICON[level], word: level };
  }
  return { icon: OUTCOME_ICON[last.outcome], word: last.outcome };
}

/**
 * The /status lines of the schedules (HTML, one line per job): `label (timing): icon
 * 18:08 (4m ago) outcome`, times in the status' zone (named once by the caller).
 */
export function renderScheduleLines(s: ScheduleStatus, now: Date): string[] {
  const head = `<b>Schedules</b>${s.enabled ? "" : " (cron off on this replica)"}`;
  const lines = s.jobs.map((j) => {
    const when = `${escapeHtml(j.label)} (${j.timing})`;
    if (!j.last) return `${when}: never run`;
    const { icon, word } = outcomeOf(j);
    return `${when}: ${icon} ${formatWhen(j.last.startedAt, now, s.timeZone)} ${word}`;
  });
  return [head, ...lines];
}

import type { HealPlanRow, SmokeRunRow } from "../../db/schema/index.ts";
import type { PlanView } from "../heal/plan-message.ts";
import type { ReportData } from "../reports/report-types.ts";
import type { SmokeDistribution } from "../smoke/smoke-stats.ts";

/**
 * A typed notification: what happened, as data, with no Telegram in it. Core services build
 * these; src/notifications/views.ts renders each kind (one view per kind) and
 * src/notifications/publisher.ts writes the outbox deliveries. The `kind` values are those
 * routes match on (see NOTIFICATION_KINDS in ./notification-router.ts).
 */
export type Notification =
  | {
      kind: "digest";
      /** The daily or weekly report's figures, opened by the model's summary when one answered. */
      report: ReportData;
    }
  | {
      kind: "smoke_summary";
      /** Outcomes of the smoke runs in `window`, per check and overall. */
      distribution: SmokeDistribution;
      window: { from: Date; to: Date };
      /** The latest run in the window, if any. */
      latest: Pick<SmokeRunRow, "ranAt" | "overall"> | undefined;
      /** IANA zone the times are shown in (`REPORT_TIMEZONE`). */
      timeZone: string;
    }
  | {
      kind: "heal_plan";
      /** The plan as stored. */
      plan: HealPlanRow;
      /** What its message shows besides the row (incident number, guardrail, same target). */
      view: PlanView;
      /** The latest progress line of a running plan, if any. */
      progress?: string;
    };

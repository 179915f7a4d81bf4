import type { HealPlanRow, InlineKeyboard, SmokeRunRow } from "../../db/schema/index.ts";
import type { SessionView } from "../aider/aider-queries.ts";
import type { PlanView } from "../heal/plan-view.ts";
import type { ReportData } from "../reports/report-types.ts";
import type { SmokeDistribution } from "../smoke/smoke-stats.ts";
import type { AlertView } from "./views/alert.ts";
import type { GroupView } from "./views/alert-group.ts";

/**
 * A typed notification: what happened, as data, with no Telegram in it. Core services build
 * these; src/notifications/render.ts renders each kind (one view per kind, under
 * src/notifications/views/) and src/notifications/publisher.ts writes the outbox deliveries.
 * The `kind` values are those routes match on (NOTIFICATION_KINDS in
 * ./notification-router.ts), except `alert_group`, which is routed as its members' kind.
 */
export type Notification =
  | {
      /** An alert (an agent's stall too: its route kind is `agent`), with what its message shows. */
      kind: "alert";
      view: AlertView;
    }
  | {
      /** Several alerts of one group in one message (members, counts, buttons). */
      kind: "alert_group";
      view: GroupView;
    }
  | {
      /** One aider coding session: its files, commits, errors and summary. */
      kind: "aider_session";
      view: SessionView;
      /** Moment of the rendering, for relative times. */
      now: Date;
      /** IANA zone the times are shown in. */
      timeZone: string;
    }
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

/**
 * A rendered Telegram message: HTML text (valid entities, ≤ 4,096 characters after parsing)
 * and its inline keyboard as plain JSON (callback data ≤ 64 bytes), or null for none. This is
 * what an outbox delivery row stores.
 */
export interface RenderedMessage {
  text: string;
  keyboard: InlineKeyboard | null;
}

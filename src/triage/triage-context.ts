import { and, desc, eq, gte, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import {
  type AlertRow,
  alerts,
  type EventRow,
  events,
  type IncidentRow,
  incidents,
} from "../../db/schema/index.ts";
import { type FilledTemplate, fillTemplate, type PlanTemplate } from "../heal/plan-templates.ts";
import { type Symptom, symptomOf } from "./symptom.ts";
import type { SymptomMemory, SymptomRecall } from "./symptom-memory.ts";

/** One recent event of the same fingerprint or instance. */
export type RecentEvent = Pick<
  EventRow,
  "receivedAt" | "status" | "severity" | "title" | "summary" | "outcome"
> & { sameFingerprint: boolean; instance: string | null };

/** Everything a triage looks at: the alert, its history and what helped before. */
export interface TriageContext {
  alert: AlertRow;
  /** Annotations of the alert's latest event (Alertmanager's description, runbook…). */
  annotations: Record<string, string>;
  incident: IncidentRow | null;
  symptom: Symptom;
  /** Events of the same fingerprint or instance in the last 24 h, newest first (≤ 10). */
  recentEvents: RecentEvent[];
  memory: SymptomRecall;
  /** Configured heal templates that apply to the alert, in configured order. */
  templates: FilledTemplate[];
}

/** How far back recent events are read (24 h) and how many are kept. */
const RECENT_MS = 86_400_000;
const RECENT_LIMIT = 10;

/** Dependencies of {@link createTriageContext}. */
export interface TriageContextDeps {
  db: Db;
  memory: SymptomMemory;
  /** Heal templates (`HEAL_TEMPLATES`). */
  templates: readonly PlanTemplate[];
}

/** Gathers a triage's context from the database. */
export type TriageContextReader = ReturnType<typeof createTriageContext>;

/** Builds the context reader. */
export function createTriageContext(deps: TriageContextDeps) {
  const { db } = deps;

  async function recent(alert: AlertRow, now: Date): Promise<RecentEvent[]> {
    const instance = alert.labels.instance;
    const same = eq(events.fingerprint, alert.fingerprint);
    const rows = await db
      .select()
      .from(events)
      .where(
        and(
          gte(events.receivedAt, new Date(now.getTime() - RECENT_MS)),
          instance ? or(same, sql`${events.labels}->>'instance' = ${instance}`) : same,
        ),
      )
      .orderBy(desc(events.receivedAt), desc(events.id))
      .limit(RECENT_LIMIT);
    return rows.map((e) => ({
      receivedAt: e.receivedAt,
      status: e.status,
      severity: e.severity,
      title: e.title,
      summary: e.summary,
      outcome: e.outcome,
      sameFingerprint: e.fingerprint === alert.fingerprint,
      instance: e.labels.instance ?? null,
    }));
  }

  return {
    /** The context of alert `alertId` at `now`, or undefined when there is no such alert. */
    async gather(alertId: string, now: Date): Promise<TriageContext | undefined> {
      const [alert] = await db.select().from(alerts).where(eq(alerts.id, alertId));
      if (!alert) return undefined;
      const [latest] = await db
        .select({ annotations: events.annotations })
        .from(events)
        .where(eq(events.alertId, alertId))
        .orderBy(desc(events.receivedAt), desc(events.id))
        .limit(1);
      const [incident] = alert.incidentId
        ? await db.select().from(incidents).where(eq(incidents.id, alert.incidentId))
        : [];
      const symptom = symptomOf(alert);
      const key = incident?.symptomKey ?? symptom.key;
      return {
        alert,
        annotations: latest?.annotations ?? {},
        incident: incident ?? null,
        symptom: { ...symptom, key },
        recentEvents: await recent(alert, now),
        memory: await deps.memory.recall(key, incident?.id ?? null),
        templates: deps.templates
          .map((t) => fillTemplate(t, alert.labels))
          .filter((t): t is FilledTemplate => t !== undefined),
      };
    },
  };
}

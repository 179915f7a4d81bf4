import { and, eq } from "drizzle-orm";
import { ulid } from "ulid";
import type { Db, DbOrTx } from "../../db/client.ts";
import { type AlertRow, alerts, events, type IncidentRow } from "../../db/schema/index.ts";
import type { IncidentService } from "../incidents/incident-service.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { OutboxRepository } from "../outbox/outbox-repository.ts";
import type { Clock } from "../types.ts";
import { renderAlert } from "./alert-message.ts";
import type { EventInput } from "./event.ts";

/** What happened to one ingested event (DESIGN.md, `POST /api/events` answer). */
export type Outcome = "notified" | "deduplicated" | "inhibited" | "muted" | "recorded";

/** Result per ingested event, in input order. */
export interface IngestResult {
  id: string;
  outcome: Outcome;
}

/** Dependencies of {@link createEventRouter}. */
export interface EventRouterDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  outbox: OutboxRepository;
  incidents: IncidentService;
  /** Chats that receive alerts (`TELEGRAM_ALERT_CHAT_IDS`). */
  alertChatIds: () => readonly number[];
  timeZone: string;
  /** Called after a commit that queued deliveries, to wake the outbox worker. */
  onQueued: () => void;
}

/** Routes events to alerts, incidents and the outbox (DESIGN.md, EventRouter). */
export type EventRouter = ReturnType<typeof createEventRouter>;

/** Builds the EventRouter. */
export function createEventRouter(deps: EventRouterDeps) {
  const { db, clock, outbox, incidents } = deps;

  async function redraw(alert: AlertRow, tx: DbOrTx): Promise<void> {
    const incident = alert.incidentId
      ? ((await incidents.get(alert.incidentId, tx)) ?? null)
      : null;
    const msg = renderAlert(alert, incident, deps.timeZone);
    await outbox.editSubject(`alert:${alert.id}`, msg.text, msg.keyboard, clock.now(), tx);
  }

  async function routeOne(
    e: EventInput,
    tx: DbOrTx,
  ): Promise<{ outcome: Outcome; alertId: string | null }> {
    const now = clock.now();
    const [current] = await tx
      .select()
      .from(alerts)
      .where(and(eq(alerts.fingerprint, e.fingerprint), eq(alerts.status, "firing")))
      .for("update");

    if (e.status === "resolved") {
      if (!current) return { outcome: "recorded", alertId: null };
      const [resolved] = await tx
        .update(alerts)
        .set({ status: "resolved", resolvedAt: e.occurredAt, lastEventAt: now })
        .where(eq(alerts.id, current.id))
        .returning();
      if (current.incidentId) await incidents.resolveIfAllResolved(current.incidentId, tx);
      await redraw(resolved as AlertRow, tx);
      return { outcome: "notified", alertId: current.id };
    }

    if (current) {
      const [repeated] = await tx
        .update(alerts)
        .set({ eventCount: current.eventCount + 1, lastEventAt: now })
        .where(eq(alerts.id, current.id))
        .returning();
      await redraw(repeated as AlertRow, tx);
      return { outcome: "deduplicated", alertId: current.id };
    }

    if (e.severity === "info") return { outcome: "recorded", alertId: null };

    let incident: IncidentRow | null = null;
    if (e.severity === "critical") {
      const opened = await incidents.openFor(
        { fingerprint: e.fingerprint, title: e.title, severity: e.severity },
        tx,
      );
      incident = opened.incident;
      if (opened.opened) deps.metrics.incidentsOpened.inc();
    }
    const [alert] = await tx
      .insert(alerts)
      .values({
        id: ulid(),
        fingerprint: e.fingerprint,
        source: e.source,
        type: e.type,
        severity: e.severity,
        status: "firing",
        title: e.title,
        summary: e.summary,
        labels: e.labels,
        generatorUrl: e.generatorUrl,
        startedAt: e.occurredAt,
        lastEventAt: now,
        incidentId: incident?.id ?? null,
      })
      .returning();
    const row = alert as AlertRow;
    const msg = renderAlert(row, incident, deps.timeZone);
    for (const chatId of deps.alertChatIds()) {
      await outbox.enqueue(
        {
          chatId,
          text: msg.text,
          keyboard: msg.keyboard,
          subject: `alert:${row.id}`,
          dedupKey: `alert:${row.id}:${chatId}`,
          disableNotification: e.severity !== "critical",
        },
        now,
        tx,
      );
    }
    return { outcome: "notified", alertId: row.id };
  }

  return {
    /**
     * Stores and routes a batch of events in one transaction: either all are stored with
     * their alert, incident and outbox changes, or none (the caller answers 5xx and the
     * sender retries).
     */
    async ingest(inputs: EventInput[]): Promise<IngestResult[]> {
      const results = await db.transaction(async (tx) => {
        const out: IngestResult[] = [];
        for (const e of inputs) {
          const { outcome, alertId } = await routeOne(e, tx);
          const id = ulid();
          await tx.insert(events).values({
            id,
            source: e.source,
            type: e.type,
            severity: e.severity,
            status: e.status,
            title: e.title,
            summary: e.summary,
            labels: e.labels,
            annotations: e.annotations,
            fingerprint: e.fingerprint,
            generatorUrl: e.generatorUrl,
            occurredAt: e.occurredAt,
            receivedAt: clock.now(),
            outcome,
            alertId,
          });
          out.push({ id, outcome });
        }
        return out;
      });
      inputs.forEach((e, i) => {
        deps.metrics.events.inc({
          source: e.source,
          severity: e.severity,
          outcome: results[i]?.outcome,
        });
      });
      deps.onQueued();
      return results;
    },

    /**
     * Acknowledges an alert (and its incident) for `who`. The first acknowledgement wins;
     * later ones change nothing. Returns the alert, or undefined when it does not exist.
     */
    async acknowledge(
      alertId: string,
      who: string,
    ): Promise<{ alert: AlertRow; changed: boolean } | undefined> {
      const result = await db.transaction(async (tx) => {
        const [row] = await tx.select().from(alerts).where(eq(alerts.id, alertId)).for("update");
        if (!row) return undefined;
        if (row.acknowledgedAt) return { alert: row, changed: false };
        const [acked] = await tx
          .update(alerts)
          .set({ acknowledgedBy: who, acknowledgedAt: clock.now() })
          .where(eq(alerts.id, alertId))
          .returning();
        if (row.incidentId) await incidents.acknowledge(row.incidentId, who, tx);
        await redraw(acked as AlertRow, tx);
        return { alert: acked as AlertRow, changed: true };
      });
      if (result?.changed) deps.onQueued();
      return result;
    },
  };
}

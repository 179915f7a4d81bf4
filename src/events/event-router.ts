import { ulid } from "ulid";
import type { Db, DbOrTx } from "../../db/client.ts";
import { type AlertRow, events } from "../../db/schema/index.ts";
import type { IncidentService } from "../incidents/incident-service.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { MuteService } from "../mutes/mute-service.ts";
import { symptomOf } from "../triage/symptom.ts";
import type { Clock } from "../types.ts";
import type { AlertNotifier } from "./alert-notifier.ts";
import type { AlertRepository } from "./alert-repository.ts";
import { alertDetails, type EventInput } from "./event.ts";
import { inhibitionKey, matchLabels } from "./event-labels.ts";
import { eventRow } from "./event-row.ts";
import { type Decision, type DedupWindows, decide } from "./routing.ts";
import { withRetry } from "./tx-retry.ts";

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
  alerts: AlertRepository;
  notifier: AlertNotifier;
  incidents: IncidentService;
  mutes: MuteService;
  /** Dedup window per severity (ms). */
  windows: DedupWindows;
  /** Called after a commit that queued deliveries, to wake the outbox worker. */
  onQueued: () => void;
  /**
   * Called after the commit with the alerts that opened a new incident (their messages are
   * queued already): automatic triage starts here, so it never delays the alert.
   */
  onIncidentsOpened?: (alertIds: string[]) => void;
}

/** Options of {@link EventRouter.ingest}. */
export interface IngestOptions {
  /**
   * Runs first inside the ingest's transaction: a change of the caller's own state that must
   * commit together with the events (a heartbeat's stall level), or throw to store nothing.
   */
  within?: (tx: DbOrTx) => Promise<void>;
}

/** What one transaction did that is counted in /metrics only once it commits. */
interface Tally {
  incidentsOpened: number;
  /** Alerts that opened a new incident, announced once the transaction commits. */
  openedAlerts: string[];
}

/** How one event was routed: its outcome and what it is linked to. */
export interface Routed {
  outcome: Outcome;
  alertId: string | null;
  muteId: string | null;
}

/** Distinct `source` label values in /metrics; later sources count as `other`. */
const MAX_SOURCE_LABELS = 50;

/** Routes events to alerts, incidents and the outbox (DESIGN.md, EventRouter). */
export type EventRouter = ReturnType<typeof createEventRouter>;

/** Builds the EventRouter. */
export function createEventRouter(deps: EventRouterDeps) {
  const { db, clock, alerts, notifier, incidents } = deps;
  const sources = new Set<string>();
  /** Sources come from clients: cap the label's cardinality. */
  const sourceLabel = (source: string) => {
    if (sources.size < MAX_SOURCE_LABELS) sources.add(source);
    return sources.has(source) ? source : "other";
  };

  /** Opens an alert (and, for a critical, an incident: counted in `tally` until commit). */
  async function open(e: EventInput, tx: DbOrTx, tally: Tally): Promise<AlertRow> {
    let incidentId: string | null = null;
    let openedNew = false;
    if (e.severity === "critical") {
      const opened = await incidents.openFor(
        {
          fingerprint: e.fingerprint,
          title: e.title,
          severity: e.severity,
          symptomKey: symptomOf(e).key,
        },
        tx,
      );
      incidentId = opened.incident.id;
      openedNew = opened.opened;
      if (opened.opened) tally.incidentsOpened++;
    }
    const now = clock.now();
    const alert = await alerts.insert(
      {
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
        lastNotifiedAt: now,
        incidentId,
        ...alertDetails(e),
      },
      tx,
    );
    if (openedNew) tally.openedAlerts.push(alert.id);
    return alert;
  }

  async function apply(e: EventInput, d: Decision, tx: DbOrTx, tally: Tally): Promise<Routed> {
    const now = clock.now();
    const none = { alertId: null, muteId: null };
    switch (d.action) {
      case "record":
        return { outcome: "recorded", ...none };
      case "inhibit":
        return { outcome: "inhibited", ...none };
      case "mute":
        return { outcome: "muted", alertId: null, muteId: d.mute.id };
      case "resolve": {
        const resolved = await alerts.update(
          d.alert.id,
          { status: "resolved", resolvedAt: e.occurredAt, lastEventAt: now },
          tx,
        );
        if (d.alert.incidentId) await incidents.resolveIfAllResolved(d.alert.incidentId, tx);
        await notifier.redraw(resolved, tx);
        return { outcome: "notified", alertId: d.alert.id, muteId: null };
      }
      case "repeat": {
        const change = { eventCount: d.alert.eventCount + 1, lastEventAt: now };
        if (!d.renotify) {
          await notifier.redraw(await alerts.update(d.alert.id, change, tx), tx);
          return { outcome: "deduplicated", alertId: d.alert.id, muteId: null };
        }
        const again = await alerts.update(
          d.alert.id,
          { ...change, lastNotifiedAt: now, notifications: d.alert.notifications + 1 },
          tx,
        );
        await notifier.renotify(again, tx);
        return { outcome: "notified", alertId: d.alert.id, muteId: null };
      }
      case "open": {
        const alert = await open(e, tx, tally);
        await notifier.announce(alert, tx);
        return { outcome: "notified", alertId: alert.id, muteId: null };
      }
    }
  }

  async function routeOne(e: EventInput, tx: DbOrTx, tally: Tally): Promise<Routed> {
    const now = clock.now();
    const current = await alerts.firingForUpdate(e.fingerprint, tx);
    const firingWarning = e.status === "firing" && e.severity === "warning";
    const inhibitor = firingWarning ? await alerts.inhibitorFor(inhibitionKey(e), tx) : undefined;
    const mute = e.status === "firing" ? deps.mutes.match(matchLabels(e), now) : undefined;
    const decision = decide(e, { current, inhibitor, mute, now, windows: deps.windows });
    return apply(e, decision, tx, tally);
  }

  return {
    /**
     * Stores and routes a batch of events in one transaction: either all are stored with
     * their alert, incident and outbox changes, or none (the caller answers 5xx and the
     * sender retries). A transaction that loses a race with a concurrent ingest of the same
     * fingerprint (unique violation, deadlock, serialization failure) is retried.
     * `opts.within` runs first in that transaction (and again on a retry).
     */
    async ingest(inputs: EventInput[], opts: IngestOptions = {}): Promise<IngestResult[]> {
      await deps.mutes.ensureFresh();
      const committed = await withRetry(() =>
        db.transaction(async (tx) => {
          await opts.within?.(tx);
          const tally: Tally = { incidentsOpened: 0, openedAlerts: [] };
          const rows: (typeof events.$inferInsert)[] = [];
          for (const e of inputs) rows.push(eventRow(e, await routeOne(e, tx, tally), clock.now()));
          await tx.insert(events).values(rows);
          return {
            opened: tally.incidentsOpened,
            openedAlerts: tally.openedAlerts,
            results: rows.map((r) => ({ id: r.id, outcome: r.outcome })),
          };
        }),
      );
      deps.metrics.incidentsOpened.inc(committed.opened);
      const { results } = committed;
      inputs.forEach((e, i) => {
        const outcome = results[i]?.outcome as Outcome;
        deps.metrics.events.inc({ source: sourceLabel(e.source), severity: e.severity, outcome });
      });
      deps.onQueued();
      if (committed.openedAlerts.length > 0) deps.onIncidentsOpened?.(committed.openedAlerts);
      return results;
    },
  };
}

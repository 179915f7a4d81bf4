import type { Db, DbOrTx } from "../../db/client.ts";
import { pipeline } from "../../db/pipeline.ts";
import { type AlertRow, events } from "../../db/schema/index.ts";
import { insertRowsText, jsonRows, statement } from "../../db/statement.ts";
import { ulid } from "../ids.ts";
import type { IncidentService, NewIncident } from "../incidents/incident-service.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { MuteService } from "../mutes/mute-service.ts";
import { queuedIn } from "../outbox/queued-in.ts";
import { symptomOf } from "../triage/symptom.ts";
import type { Clock } from "../types.ts";
import type { AlertNotifier } from "./alert-notifier.ts";
import { type AlertRepository, type InhibitionKey, inhibitionKeyOf } from "./alert-repository.ts";
import { alertDetails, type EventInput } from "./event.ts";
import { inhibitionKey, matchLabels } from "./event-labels.ts";
import { eventRow } from "./event-row.ts";
import { createGroupCommit, type SharedWorkTracer } from "./group-commit.ts";
import type { WebhookGroup } from "./group-key.ts";
import { type DedupWindows, decide } from "./routing.ts";
import { withRetry } from "./tx-retry.ts";

/** What happened to one ingested event, as the ingest endpoints answer it per event. */
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
  /** Called after a commit that inserted deliveries, to wake the outbox worker. */
  onQueued: () => void;
  /**
   * Called after the commit with the alerts that opened a new incident (their messages are
   * queued already): automatic triage starts here, so it never delays the alert.
   */
  onIncidentsOpened?: (alertIds: string[]) => void;
  /** The database runs one transaction at a time (PGlite): ingest runs one at a time too. */
  oneWriter?: boolean;
  /** Spans of ingest transactions shared by several webhooks (tracing on). */
  ingestTracer?: SharedWorkTracer | undefined;
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

/** A map key for an inhibition key. */
const keyString = (k: InhibitionKey) => `${k.alertname}\u0000${k.instance}`;

/** The row of a new firing alert for event `e`, as the router inserts it. */
function newAlert(e: EventInput, now: Date, incidentId: string | null): AlertRow {
  return {
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
    resolvedAt: null,
    eventCount: 1,
    lastNotifiedAt: now,
    notifications: 1,
    acknowledgedBy: null,
    acknowledgedAt: null,
    incidentId,
    resolvedBy: null,
    muteId: null,
    groupId: null,
    ...alertDetails(e),
  };
}

/**
 * What an alert takes from a repeat of higher severity (an escalation in place, see
 * ./routing.ts): severity, name, text and labels; the escalated text is the new event's.
 */
function raisedFields(e: EventInput, a: AlertRow) {
  return {
    severity: e.severity,
    type: e.type,
    title: e.title,
    summary: e.summary,
    labels: e.labels,
    annotations: { ...a.annotations, ...e.annotations },
  };
}

/** Every event of a batch in one fixed-text statement (db/statement.ts). */
const insertEvents = statement("events_insert", insertRowsText(events));

/** Distinct `source` label values in /metrics; later sources count as `other`. */
const MAX_SOURCE_LABELS = 50;

/**
 * Events one shared ingest transaction takes at most: a hundred webhooks of ten alerts. It
 * bounds the statements' JSON parameters and the time a transaction holds its locks.
 */
const GROUP_COMMIT_MAX_EVENTS = 1_000;

/**
 * Ingest transactions one process runs at once on Postgres: one being written while the
 * next one is decided in memory. More would mostly wait on the same fingerprints' locks.
 */
const GROUP_COMMIT_CONCURRENCY = 2;

/** Routes events to alerts, incidents and the outbox (rules: ./routing.ts). */
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

  /**
   * Routes a batch set-wise inside `tx`: locks its fingerprints (in one global order), reads
   * every fact the rules need in one statement per kind (firing alerts, possible inhibitors,
   * unresolved incidents), decides each event in input order against an in-memory state
   * that earlier events of the batch already changed, then writes the changes in bulk and
   * queues one outbox write per kind of message. The outcomes are those of routing the
   * events one by one in input order.
   */
  async function routeBatch(
    inputs: EventInput[],
    tx: DbOrTx,
    tally: Tally,
    receivedAt: Date,
  ): Promise<IngestResult[]> {
    const fingerprints = [...new Set(inputs.map((e) => e.fingerprint))].sort();
    const inBatch = new Set(fingerprints);
    const warningKeys = new Map<string, InhibitionKey>();
    const criticalFps = new Set<string>();
    for (const e of inputs) {
      if (e.status !== "firing") continue;
      if (e.severity === "warning") warningKeys.set(keyString(inhibitionKey(e)), inhibitionKey(e));
      if (e.severity === "critical") criticalFps.add(e.fingerprint);
    }
    // The locks, then the reads, sent together: one round trip where the driver pipelines
    // (postgres.js does for prepared statements). One connection runs them in the order
    // sent, so every read runs under the locks.
    const [, current, inhibitors, unresolved] = await pipeline([
      alerts.lockFingerprints(fingerprints, tx),
      alerts.firingForUpdateMany(fingerprints, tx),
      alerts.inhibitorsFor([...warningKeys.values()], tx),
      incidents.unresolvedFor([...criticalFps], tx),
      // The mutes' version (replicas): reloaded in this transaction when it moved.
      deps.mutes.ensureFresh(tx),
    ]);
    /** The unresolved incident of each critical fingerprint, as routing changes it. */
    const openIncidents = new Map<string, Pick<NewIncident, "id">>(unresolved);
    /** The firing alert of each fingerprint of the batch, as routing changes it. */
    const firing = new Map<string, AlertRow>();
    for (const a of current) firing.set(a.fingerprint, a);
    /** Firing criticals outside the batch that may inhibit its warnings, by key. */
    const outside = new Map<string, AlertRow>();
    for (const a of inhibitors) {
      if (!inBatch.has(a.fingerprint)) outside.set(keyString(inhibitionKeyOf(a)), a);
    }

    const changed = new Map<string, AlertRow>();
    const opened = new Map<string, AlertRow>();
    /** The Alertmanager group of each new alert's webhook (src/events/group-key.ts). */
    const webhookOf = new Map<string, WebhookGroup>();
    const newIncidents: NewIncident[] = [];
    const incidentsToResolve = new Set<string>();
    /** Existing alerts escalated in place by a repeat of higher severity. */
    const raised = new Set<string>();
    /** Per alert, in first-touch order, the message work it needs once written. */
    const messages = new Map<string, { kind: "announce" | "redraw" | "renotify"; row: AlertRow }>();
    const put = (a: AlertRow, kind: "announce" | "redraw" | "renotify") => {
      (opened.has(a.id) ? opened : changed).set(a.id, a);
      const before = messages.get(a.id)?.kind;
      // A redraw folds into a pending announcement; a second renotification into the first.
      const merged = before === "announce" || before === "renotify" ? before : kind;
      messages.set(a.id, { kind: merged, row: a });
    };
    /**
     * The incident of critical event `e` (on alert `a`, if it exists): the alert's own, the
     * unresolved one of its fingerprint, or a new one. Null for other severities.
     */
    const incidentFor = (e: EventInput, a: AlertRow | undefined): string | null => {
      if (e.severity !== "critical") return a?.incidentId ?? null;
      const known = a?.incidentId ?? openIncidents.get(e.fingerprint)?.id;
      if (known) return known;
      const incident = incidents.newIncident({
        fingerprint: e.fingerprint,
        title: e.title,
        severity: e.severity,
        symptomKey: symptomOf(e).key,
      });
      newIncidents.push(incident);
      openIncidents.set(e.fingerprint, incident);
      tally.incidentsOpened++;
      if (a) tally.openedAlerts.push(a.id);
      return incident.id;
    };
    const inhibitorOf = (key: string): AlertRow | undefined => {
      for (const a of firing.values()) {
        if (a.severity === "critical" && keyString(inhibitionKeyOf(a)) === key) return a;
      }
      return outside.get(key);
    };

    const routed: Routed[] = [];
    for (const e of inputs) {
      const now = clock.now();
      const current = firing.get(e.fingerprint);
      const firingWarning = e.status === "firing" && e.severity === "warning";
      const inhibitor = firingWarning ? inhibitorOf(keyString(inhibitionKey(e))) : undefined;
      const mute = e.status === "firing" ? deps.mutes.match(matchLabels(e), now) : undefined;
      const d = decide(e, { current, inhibitor, mute, now, windows: deps.windows });
      switch (d.action) {
        case "record":
          routed.push({ outcome: "recorded", alertId: null, muteId: null });
          break;
        case "inhibit":
          routed.push({ outcome: "inhibited", alertId: null, muteId: null });
          break;
        case "mute":
          routed.push({ outcome: "muted", alertId: null, muteId: d.mute.id });
          break;
        case "resolve": {
          const a = { ...d.alert, status: "resolved" as const, resolvedAt: e.occurredAt };
          firing.delete(e.fingerprint);
          put({ ...a, lastEventAt: now }, "redraw");
          if (a.incidentId) {
            incidentsToResolve.add(a.incidentId);
            if (openIncidents.get(e.fingerprint)?.id === a.incidentId) {
              openIncidents.delete(e.fingerprint);
            }
          }
          routed.push({ outcome: "notified", alertId: a.id, muteId: null });
          break;
        }
        case "repeat": {
          let a = { ...d.alert, eventCount: d.alert.eventCount + 1, lastEventAt: now };
          if (d.raised) {
            a = { ...a, ...raisedFields(e, a), incidentId: incidentFor(e, a) };
            raised.add(a.id);
          }
          if (d.renotify) a = { ...a, lastNotifiedAt: now, notifications: a.notifications + 1 };
          firing.set(e.fingerprint, a);
          put(a, d.renotify ? "renotify" : "redraw");
          routed.push({
            outcome: d.renotify ? "notified" : "deduplicated",
            alertId: a.id,
            muteId: null,
          });
          break;
        }
        case "open": {
          const before = newIncidents.length;
          const a = newAlert(e, now, incidentFor(e, undefined));
          if (e.group) webhookOf.set(a.id, e.group);
          opened.set(a.id, a);
          firing.set(e.fingerprint, a);
          put(a, "announce");
          if (newIncidents.length > before) tally.openedAlerts.push(a.id);
          routed.push({ outcome: "notified", alertId: a.id, muteId: null });
          break;
        }
      }
    }

    const work = [...messages.values()];
    const of = (kind: string) => work.filter((m) => m.kind === kind).map((m) => m.row);
    // Groups, decided in memory with one read (group-plan.ts): new firing alerts
    // of one group key join its open group, or form one when the batch has two or more.
    const candidates = of("announce").filter((a) => a.status === "firing");
    const plan = await notifier.groups.plan(
      candidates.map((alert) => ({ alert, webhook: webhookOf.get(alert.id) })),
      tx,
    );
    const grouped = (a: AlertRow): AlertRow => {
      const groupId = plan.groupOf.get(a.id);
      return groupId ? { ...a, groupId } : a;
    };

    // Writes, sent together (pipelined: one round trip). They are independent but for one
    // case: a fingerprint resolved and opened again in this batch must have its old alert
    // resolved before the new one is inserted (one firing alert per fingerprint); then the
    // insert waits for the update.
    const eventRows = inputs.map((e, i) => eventRow(e, routed[i] as Routed, receivedAt));
    const resolvedHere = new Set(
      [...changed.values()].filter((a) => a.status === "resolved").map((a) => a.fingerprint),
    );
    const reopens = [...opened.values()].some((a) => resolvedHere.has(a.fingerprint));
    const insertOpened = () => alerts.insertMany([...opened.values()].map(grouped), tx);
    const updated = alerts.updateMany([...changed.values()], tx);
    const written = pipeline([
      incidents.insertMany(newIncidents, tx),
      reopens ? updated.then(insertOpened) : updated,
      alerts.raiseMany(
        [...changed.values()].filter((a) => raised.has(a.id)),
        tx,
      ),
      reopens ? undefined : insertOpened(),
      insertEvents.run(tx, [jsonRows(events, eventRows)]),
    ]);
    // The messages' statements follow the writes' on the same connection. When they depend
    // on nothing written here (repeats and resolutions of alerts on their own messages:
    // their reads are of incidents, mutes, triages, escalations and deliveries), they go
    // out at once, in the same round trip. Otherwise (a new alert or incident, an incident
    // that may resolve, a raised or grouped alert) the writes finish first: the order in
    // which concurrent calls reach the driver is not something to build on.
    const independent =
      opened.size === 0 &&
      newIncidents.length === 0 &&
      incidentsToResolve.size === 0 &&
      raised.size === 0 &&
      ![...changed.values()].some((a) => a.groupId !== null);
    if (!independent) {
      await written;
      for (const id of incidentsToResolve) await incidents.resolveIfAllResolved(id, tx);
    }
    // Two chains of message work: the new alerts' (their sends, new groups' messages, edits
    // of the groups they joined) and the changed alerts' (edits, re-notifications, and their
    // groups' edits). An alert is in one chain only, so their statements touch different
    // outbox subjects and go out interleaved, saving the round trips of the shorter chain;
    // unless both touch one group's message, whose edits must stay in order: then the
    // changed alerts' chain waits for the new alerts'.
    const announce = async () => {
      await notifier.announceMany(of("announce").map(grouped), tx);
      await notifier.groups.announce(plan.created, tx);
      await notifier.groups.refresh(plan.joined, tx);
    };
    const update = async () => {
      await notifier.redrawMany(of("redraw"), tx);
      await notifier.renotifyMany(of("renotify"), tx);
    };
    const newAlertsGroups = new Set([...plan.created.map((g) => g.id), ...plan.joined]);
    const shared = [...changed.values()].some(
      (a) => a.groupId !== null && newAlertsGroups.has(a.groupId),
    );
    const told = shared ? announce().then(update) : pipeline([announce(), update()]);
    await pipeline([written, told]);
    return eventRows.map((r) => ({ id: r.id, outcome: r.outcome }));
  }

  /** One transaction over `inputs`; the metrics and the wake-ups once it commits. */
  async function store(
    inputs: EventInput[],
    within?: IngestOptions["within"],
  ): Promise<IngestResult[]> {
    const committed = await withRetry(() =>
      db.transaction(async (tx) => {
        await within?.(tx);
        const tally: Tally = { incidentsOpened: 0, openedAlerts: [] };
        const results = await routeBatch(inputs, tx, tally, clock.now());
        return {
          queued: queuedIn(tx),
          opened: tally.incidentsOpened,
          openedAlerts: tally.openedAlerts,
          results,
        };
      }),
    );
    deps.metrics.incidentsOpened.inc(committed.opened);
    const { results } = committed;
    inputs.forEach((e, i) => {
      const outcome = results[i]?.outcome as Outcome;
      deps.metrics.events.inc({ source: sourceLabel(e.source), severity: e.severity, outcome });
    });
    if (committed.queued) deps.onQueued();
    if (committed.openedAlerts.length > 0) deps.onIncidentsOpened?.(committed.openedAlerts);
    return results;
  }

  /** Calls that arrive while a transaction runs share the next one (group-commit.ts). */
  const queue = createGroupCommit<EventInput, IngestResult>((inputs) => store(inputs), {
    maxItems: GROUP_COMMIT_MAX_EVENTS,
    concurrency: deps.oneWriter ? 1 : GROUP_COMMIT_CONCURRENCY,
    tracer: deps.ingestTracer,
  });

  return {
    /**
     * Stores and routes a batch of events in one transaction: either all are stored with
     * their alert, incident and outbox changes, or none (the caller answers 5xx and the
     * sender retries). A transaction that loses a race with a concurrent ingest of the same
     * fingerprint (unique violation, deadlock, serialization failure) is retried.
     * `opts.within` runs first in that transaction (and again on a retry). Without it, calls
     * that arrive while another ingest runs share the next transaction (group-commit.ts);
     * a shared transaction that fails runs each call again on its own.
     */
    async ingest(inputs: EventInput[], opts: IngestOptions = {}): Promise<IngestResult[]> {
      return opts.within ? store(inputs, opts.within) : queue.submit(inputs);
    },
  };
}

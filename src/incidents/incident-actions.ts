import type { Db, DbOrTx } from "../../db/client.ts";
import type { AlertRow, MuteRow } from "../../db/schema/index.ts";
import { recordDecision } from "../autonomy/decision-log.ts";
import type { AlertNotifier } from "../events/alert-notifier.ts";
import type { AlertRepository } from "../events/alert-repository.ts";
import type { Matcher } from "../mutes/matchers.ts";
import type { MuteService, SilenceOutcome } from "../mutes/mute-service.ts";
import { personName } from "../person-name.ts";
import type { Clock } from "../types.ts";
import type { IncidentService } from "./incident-service.ts";

/** What a button press did, for the callback answer. */
export interface ActionResult {
  /** False when the press changed nothing (already done, or unknown id). */
  changed: boolean;
  /** One short line for `answerCallbackQuery`. */
  message: string;
}

/** Dependencies of {@link createIncidentActions}. */
export interface IncidentActionsDeps {
  db: Db;
  clock: Clock;
  alerts: AlertRepository;
  notifier: AlertNotifier;
  incidents: IncidentService;
  mutes: MuteService;
  /** Called after a commit that queued deliveries, to wake the outbox worker. */
  onQueued: () => void;
}

/** The callback-answer tail about Alertmanager when making its silence failed. */
function silenceNote(s: SilenceOutcome): string {
  return s.state === "failed" ? ` Alertmanager ${s.error}: muted here only.` : "";
}

/** The matchers of a mute created from an alert's button: every label, plus its alertname. */
export function muteMatchersFor(alert: AlertRow): Matcher[] {
  const labels: Record<string, string> = { alertname: alert.type, ...alert.labels };
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, op: "=", value }));
}

/**
 * What the buttons on alert messages and in /incidents do (docs/architecture.md, Terms): acknowledge,
 * resolve, mute for a while, unmute. Each change is one transaction that also queues the
 * edits of the affected messages; the first decision wins and repeats change nothing.
 */
export type IncidentActions = ReturnType<typeof createIncidentActions>;

/** Builds the incident actions. */
export function createIncidentActions(deps: IncidentActionsDeps) {
  const { db, clock, alerts, notifier, incidents } = deps;

  /** The alerts an action on `alert` applies to: its incident's firing ones, or itself. */
  async function scope(alert: AlertRow, tx: DbOrTx): Promise<AlertRow[]> {
    if (!alert.incidentId) return [alert];
    const linked = await alerts.forIncident(alert.incidentId, tx);
    return linked.filter((a) => a.status === "firing" || a.id === alert.id);
  }

  async function inTx(fn: (tx: DbOrTx) => Promise<ActionResult>): Promise<ActionResult> {
    const result = await db.transaction(fn);
    if (result.changed) deps.onQueued();
    return result;
  }

  /**
   * Acknowledges firing, unacknowledged `alert`, its incident and the incident's other firing
   * alerts, records the decision; returns the alerts it changed (not yet redrawn).
   */
  async function acknowledgeIn(alert: AlertRow, who: string, tx: DbOrTx): Promise<AlertRow[]> {
    if (alert.incidentId) await incidents.acknowledge(alert.incidentId, who, tx);
    const at = clock.now();
    const about = { alertId: alert.id, incidentId: alert.incidentId };
    await recordDecision(tx, { action: "acknowledge", actor: who, at, ...about });
    const changed: AlertRow[] = [];
    for (const a of await scope(alert, tx)) {
      if (a.acknowledgedAt || a.status !== "firing") continue;
      changed.push(await alerts.update(a.id, { acknowledgedBy: who, acknowledgedAt: at }, tx));
    }
    return changed;
  }

  const actions = {
    /** Acknowledges alert `alertId` and its incident (with its other firing alerts). */
    acknowledge(alertId: string, who: string): Promise<ActionResult> {
      return inTx(async (tx) => {
        const alert = await alerts.getForUpdate(alertId, tx);
        if (!alert) return { changed: false, message: "That alert no longer exists." };
        if (alert.acknowledgedBy) {
          return {
            changed: false,
            message: `Already acknowledged by ${personName(alert.acknowledgedBy)}.`,
          };
        }
        if (alert.status === "resolved") return { changed: false, message: "Already resolved." };
        await notifier.redrawMany(await acknowledgeIn(alert, who, tx), tx);
        return { changed: true, message: "Acknowledged." };
      });
    },

    /**
     * {@link acknowledge} of each of `alertIds` that still fires unacknowledged, in one
     * transaction (a group's "Acknowledge all"); every changed message is redrawn once.
     */
    acknowledgeAll(alertIds: readonly string[], who: string): Promise<ActionResult> {
      return inTx(async (tx) => {
        const changed = new Map<string, AlertRow>();
        for (const id of [...alertIds].sort()) {
          const alert = await alerts.getForUpdate(id, tx);
          // An alert acknowledged with an earlier one's incident reads as acknowledged here.
          if (alert?.status !== "firing" || alert.acknowledgedAt) continue;
          for (const a of await acknowledgeIn(alert, who, tx)) changed.set(a.id, a);
        }
        if (changed.size === 0) {
          return { changed: false, message: "Nothing firing is left to acknowledge." };
        }
        await notifier.redrawMany([...changed.values()], tx);
        return { changed: true, message: `Acknowledged ${changed.size} alerts.` };
      });
    },

    /** Resolves alert `alertId` by hand, with its incident and the incident's firing alerts. */
    resolve(alertId: string, who: string): Promise<ActionResult> {
      return inTx(async (tx) => {
        const alert = await alerts.getForUpdate(alertId, tx);
        if (!alert) return { changed: false, message: "That alert no longer exists." };
        if (alert.status === "resolved") return { changed: false, message: "Already resolved." };
        if (alert.incidentId) await incidents.resolve(alert.incidentId, who, tx);
        const at = clock.now();
        const about = { alertId: alert.id, incidentId: alert.incidentId };
        await recordDecision(tx, { action: "resolve", actor: who, at, ...about });
        for (const a of await scope(alert, tx)) {
          if (a.status !== "firing") continue;
          const change = { status: "resolved" as const, resolvedAt: at, resolvedBy: who };
          await notifier.redraw(await alerts.update(a.id, change, tx), tx);
        }
        return { changed: true, message: "Resolved." };
      });
    },

    /**
     * Mutes what alert `alertId` is (all its labels) for `durationMs`, and shows the mute on
     * its message with an Unmute button.
     */
    async mute(alertId: string, durationMs: number, who: string): Promise<ActionResult> {
      const alert = await alerts.get(alertId);
      if (!alert) return { changed: false, message: "That alert no longer exists." };
      const mute = await deps.mutes.create({
        matchers: muteMatchersFor(alert),
        durationMs,
        createdBy: who,
        reason: `from the alert ${alert.title}`,
        alertId,
        incidentId: alert.incidentId,
      });
      return inTx(async (tx) => {
        const current = await alerts.getForUpdate(alertId, tx);
        if (current?.status === "firing") {
          await notifier.redraw(await alerts.update(alertId, { muteId: mute.id }, tx), tx);
        }
        const hours = Math.round(durationMs / 3_600_000);
        return { changed: true, message: `Muted for ${hours} h.${silenceNote(mute.silence)}` };
      });
    },

    /** Lifts mute `muteId` and redraws the alert messages that showed it. */
    async unmute(
      muteId: string,
      who: string,
    ): Promise<ActionResult & { mute?: MuteRow; silence?: SilenceOutcome }> {
      const { mute, changed, silence } = await deps.mutes.lift(muteId, who);
      await inTx(async (tx) => {
        for (const a of await alerts.withMute(muteId, tx)) {
          const cleared = await alerts.update(a.id, { muteId: null }, tx);
          if (a.status === "firing") await notifier.redraw(cleared, tx);
        }
        return { changed: true, message: "" };
      });
      const message = changed
        ? `Unmuted.${silence.state === "failed" ? ` Alertmanager ${silence.error}: its silence is still there.` : ""}`
        : "That mute had already ended.";
      return { changed, mute, silence, message };
    },

    /** The alert an incident's buttons act on: its newest linked alert. */
    async alertOfIncident(incidentId: string): Promise<string | undefined> {
      const linked = await alerts.forIncident(incidentId);
      return (linked.find((a) => a.status === "firing") ?? linked[0])?.id;
    },
  };
  return actions;
}

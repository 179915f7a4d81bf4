import type { Db } from "../../db/client.ts";
import type { TriageResult, TriageRow } from "../../db/schema/index.ts";
import { coerceError } from "../errors.ts";
import type { AlertNotifier } from "../events/alert-notifier.ts";
import type { AlertRepository } from "../events/alert-repository.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "../types.ts";
import { memoryLine } from "./memory-text.ts";
import type { ModelClient } from "./model-client.ts";
import type { TriageSettings } from "./triage-config.ts";
import type { TriageContext, TriageContextReader } from "./triage-context.ts";
import { triageRequest } from "./triage-prompt.ts";
import { rulesTriage } from "./triage-rules.ts";
import { toResult, triageAnswerSchema } from "./triage-schema.ts";
import type { TriageStore } from "./triage-store.ts";
import { createWorkQueue } from "./work-queue.ts";

/** Dependencies of {@link createTriageService}. */
export interface TriageServiceDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  settings: TriageSettings;
  store: TriageStore;
  context: TriageContextReader;
  /** The model through the proxy; undefined when `TRIAGE_MODEL` is unset (rules only). */
  model: ModelClient | undefined;
  alerts: Pick<AlertRepository, "get">;
  notifier: Pick<AlertNotifier, "redraw">;
  timeZone: string;
  /** Wakes the outbox worker after the alert's edit is queued. */
  onQueued: () => void;
}

/** What pressing "🧠 Triage" did, for the callback answer. */
export interface TriageRequestResult {
  started: boolean;
  message: string;
}

/** Triages at once; the rest wait their turn (model calls are bounded by the hourly budget). */
const CONCURRENCY = 2;
/** A model answer is never asked for longer than this (tokens). */
const MAX_TOKENS = 700;

/** AI triage of alerts, with the rules fallback. */
export type TriageService = ReturnType<typeof createTriageService>;

/**
 * Builds the triage service. A triage reads its context (the alert, recent events, the
 * symptom memory, the heal templates that apply), asks the model through the proxy when one
 * is configured and the hourly budget has a slot, falls back to the rules otherwise or on
 * any failure, stores the answer and edits the alert's messages through the outbox. It runs
 * in the background, after the alert's own message was queued, so it never delays it.
 */
export function createTriageService(deps: TriageServiceDeps) {
  const { clock, store, settings } = deps;
  const log = deps.logger.child({ component: "triage" });
  const stop = new AbortController();
  const queue = createWorkQueue(CONCURRENCY);

  async function answer(
    row: TriageRow,
    c: TriageContext,
  ): Promise<{ source: "model" | "rules"; result: TriageResult; fallbackReason: string | null }> {
    const rules = () => rulesTriage(c, deps.timeZone);
    if (!row.modelCalled || !deps.model) {
      const why = deps.model
        ? `hourly limit of ${settings.maxPerHour} model calls reached`
        : "no model configured";
      return { source: "rules", result: rules(), fallbackReason: why };
    }
    const req = triageRequest(c);
    const out = await deps.model.complete(
      { ...req, schema: triageAnswerSchema, maxTokens: MAX_TOKENS },
      stop.signal,
    );
    if (!out.ok) return { source: "rules", result: rules(), fallbackReason: out.reason };
    const names = c.templates.map((t) => t.template.name);
    return { source: "model", result: toResult(out.value, names), fallbackReason: null };
  }

  async function run(alertId: string, requestedBy: string | null): Promise<void> {
    const c = await deps.context.gather(alertId, clock.now());
    if (!c) return;
    const row = await store.begin({
      kind: "alert",
      alertId,
      incidentId: c.alert.incidentId,
      requestedBy,
      model: deps.model ? settings.model : undefined,
      maxPerHour: settings.maxPerHour,
      now: clock.now(),
    });
    const done = await answer(row, c);
    done.result.history = memoryLine(c.memory, deps.timeZone) ?? "First time this symptom is seen";
    await deps.db.transaction(async (tx) => {
      await store.finish(row.id, done, clock.now(), tx);
      const alert = await deps.alerts.get(alertId, tx);
      if (alert) await deps.notifier.redraw(alert, tx);
    });
    deps.onQueued();
    log.info(
      { alert: alertId, source: done.source, reason: done.fallbackReason, by: requestedBy },
      "triaged",
    );
  }

  function schedule(alertId: string, requestedBy: string | null): void {
    queue.push(() =>
      run(alertId, requestedBy).catch((err: unknown) =>
        log.error({ alert: alertId, err: coerceError(err).message }, "triage failed"),
      ),
    );
  }

  return {
    /**
     * New critical incidents (the EventRouter's `onIncidentsOpened`): each opening alert is
     * triaged in the background when `TRIAGE_MODEL` is set.
     */
    onIncidentsOpened(alertIds: string[]): void {
      if (!settings.model || stop.signal.aborted) return;
      for (const id of alertIds) schedule(id, null);
    },

    /**
     * An admin pressed "🧠 Triage" on alert `alertId`: starts a triage unless the alert is
     * resolved or one is already running for it. The message is edited when it is done.
     */
    async request(alertId: string, who: string): Promise<TriageRequestResult> {
      const alert = await deps.alerts.get(alertId);
      if (!alert) return { started: false, message: "That alert no longer exists." };
      if (alert.status !== "firing")
        return { started: false, message: "The alert has resolved; nothing to triage." };
      const since = new Date(clock.now().getTime() - settings.timeoutMs - 5_000);
      if (await store.runningFor(alertId, since))
        return { started: false, message: "A triage of this alert is already running." };
      if (stop.signal.aborted) return { started: false, message: "Shutting down; try again." };
      schedule(alertId, who);
      const how = deps.model ? "" : " (by rules: no TRIAGE_MODEL)";
      return { started: true, message: `🧠 Triage started${how}; the message will show it.` };
    },

    /** Resolves when every triage started so far has finished. */
    idle: () => queue.idle(),

    /** Cancels running model calls (their triages end by rules) and waits for the queue. */
    async stop(): Promise<void> {
      stop.abort();
      await queue.idle();
    },
  };
}

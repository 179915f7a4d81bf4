import type { Db, DbOrTx } from "../../db/client.ts";
import type { AlertNotifier } from "../events/alert-notifier.ts";
import type { AlertRepository } from "../events/alert-repository.ts";
import type { PlanTemplate } from "../heal/plan-templates.ts";
import type { Logger } from "../logger.ts";
import type { ProxyService } from "../proxy/proxy-service.ts";
import type { Clock } from "../types.ts";
import { createModelClient } from "./model-client.ts";
import { createReportSummarizer } from "./report-summary.ts";
import { createSymptomMemory } from "./symptom-memory.ts";
import type { TriageSettings } from "./triage-config.ts";
import { createTriageContext } from "./triage-context.ts";
import { createTriageService } from "./triage-service.ts";
import { createTriageStore, type TriageStore } from "./triage-store.ts";
import type { TriageView } from "./triage-view.ts";

/**
 * The read side of triage that the alert path needs before the triage service exists: the
 * latest triage of an alert (its message's section) and the template it suggested
 * ("Propose fix" prefers it).
 */
export function createTriageReads(db: Db) {
  const store = createTriageStore(db);
  return {
    store,
    /** The latest finished triage of an alert, for its message. */
    async triageFor(alertId: string, tx: DbOrTx): Promise<TriageView | undefined> {
      return store.latestFor(alertId, tx);
    },
    /** {@link triageFor} of many alerts in one read, keyed by alert id. */
    async triagesFor(alertIds: string[], tx: DbOrTx): Promise<Map<string, TriageView>> {
      return store.latestForMany(alertIds, tx);
    },
    /** The template the alert's latest triage suggested, if any. */
    async suggestedTemplate(alertId: string): Promise<string | undefined> {
      return (await store.latestFor(alertId))?.result?.suggestedTemplate ?? undefined;
    },
  };
}

/** Dependencies of {@link createTriageModule}, all built before it in src/app.ts. */
export interface TriageModuleDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  settings: TriageSettings;
  store: TriageStore;
  /** The proxy service: the model is called through its `forward`, in process. */
  proxy: Pick<ProxyService, "forward">;
  templates: readonly PlanTemplate[];
  alerts: Pick<AlertRepository, "get">;
  notifier: Pick<AlertNotifier, "redraw">;
  timeZone: string;
  onQueued: () => void;
}

/** Triage, symptom memory and report summaries. */
export type TriageModule = ReturnType<typeof createTriageModule>;

/**
 * Builds the triage module: the model client (when `TRIAGE_MODEL` is set), symptom memory,
 * context reader, the triage service and the report summarizer.
 */
export function createTriageModule(deps: TriageModuleDeps) {
  const { settings } = deps;
  const model = settings.model
    ? createModelClient({ proxy: deps.proxy, model: settings.model, timeoutMs: settings.timeoutMs })
    : undefined;
  const memory = createSymptomMemory(deps.db);
  const context = createTriageContext({ db: deps.db, memory, templates: deps.templates });
  const service = createTriageService({ ...deps, context, model });
  const summarize = createReportSummarizer({
    model,
    store: deps.store,
    settings,
    clock: deps.clock,
  });
  return { memory, service, summarize, store: deps.store };
}

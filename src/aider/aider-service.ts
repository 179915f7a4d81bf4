import type { Db, DbOrTx } from "../../db/client.ts";
import type { EventInput } from "../events/event.ts";
import type { EventRouter } from "../events/event-router.ts";
import { withRetry } from "../events/tx-retry.ts";
import { ulid } from "../ids.ts";
import type { Logger } from "../logger.ts";
import type { NotifyTargets } from "../notifications/notification-router.ts";
import type { Publisher } from "../notifications/publisher.ts";
import type { Clock } from "../types.ts";
import { repoName, resolutionsAtEnd, routedInputOf } from "./aider-alerts.ts";
import { type AiderEvent, parseAiderEvents } from "./aider-event-schema.ts";
import { createAiderQueries } from "./aider-queries.ts";
import { aiderReportSection } from "./aider-report.ts";
import { createAiderRouteQueue } from "./aider-route-queue.ts";
import { createAiderStore } from "./aider-store.ts";
import { SESSION_VIEW_LIMITS, sessionSubject } from "./session-format.ts";

/** Dependencies of {@link createAiderService}, all built before it in src/app.ts. */
export interface AiderServiceDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Renders session notifications and queues their deliveries (src/notifications). */
  publisher: Publisher;
  router: Pick<EventRouter, "ingest">;
  /** Chats that get session messages (kind `aider_session`, src/notifications). */
  sessionChats: NotifyTargets;
  timeZone: string;
  /** Wakes the outbox worker after a commit that queued deliveries. */
  onQueued: () => void;
}

/** What `POST /api/aider/events` answers: events stored now, and ids already stored. */
export interface AiderIngestResult {
  accepted: number;
  duplicates: number;
}

/** The aider session watch, server side. */
export type AiderService = ReturnType<typeof createAiderService>;

/**
 * The aider session watch (docs/aider-watch.md): stores events, file
 * touches and session summaries; keeps one chat message per session up to date; hands errors
 * and silences to the EventRouter; serves /sessions and the report section.
 *
 * Idempotent by event id: only events stored for the first time change a summary, a
 * message or the router, so a replay or a repeated buffer flush changes nothing.
 */
export function createAiderService(deps: AiderServiceDeps) {
  const { db, clock, publisher } = deps;
  const store = createAiderStore();
  const queries = createAiderQueries(db);
  const routes = createAiderRouteQueue({ db, router: deps.router, logger: deps.logger });

  /** Queues the session's message (first time) and brings it up to date (edits coalesce). */
  async function showSession(sessionId: string, now: Date, tx: DbOrTx): Promise<void> {
    const view = await queries.view(sessionId, SESSION_VIEW_LIMITS, tx);
    if (!view) return;
    const n = { kind: "aider_session", view, now, timeZone: deps.timeZone } as const;
    const subject = sessionSubject(sessionId);
    const chats = deps.sessionChats({ session: sessionId });
    await publisher.publish(n, { chats, subject, dedupBase: subject, silent: true }, tx);
    await publisher.update(n, subject, tx);
  }

  /** Summary, message and router events of one session after its new events `fresh`. */
  async function applySession(fresh: AiderEvent[], now: Date, tx: DbOrTx) {
    const sessionId = (fresh[0] as AiderEvent).sessionId;
    const session = await store.refreshSession(sessionId, now, tx);
    if (fresh.some((e) => e.type !== "raw")) await showSession(sessionId, now, tx);
    const repo = repoName(session.cwd);
    const alerts = fresh
      .map((e) => routedInputOf(e, repo))
      .filter((x): x is EventInput => x !== undefined);
    if (session.endedAt) {
      // Warnings resolve once the session is over: all of them when the end arrives now,
      // else those that arrived after it (a shuffled flush).
      const kinds = fresh.some((e) => e.type === "session_end")
        ? await queries.alertKinds(sessionId, tx)
        : new Set(
            fresh.flatMap((e) =>
              e.type === "error"
                ? [e.payload.kind]
                : e.type === "silent_timeout"
                  ? ["silent_timeout"]
                  : [],
            ),
          );
      alerts.push(...resolutionsAtEnd(sessionId, kinds, repo, session.endedAt));
    }
    return alerts;
  }

  async function ingest(body: unknown): Promise<AiderIngestResult> {
    const events = parseAiderEvents(body);
    const now = clock.now();
    const firstTs = new Map<string, Date>();
    for (const e of events) {
      const t = firstTs.get(e.sessionId);
      if (!t || e.ts < t) firstTs.set(e.sessionId, e.ts);
    }
    /** Sessions whose batch raised a critical alert (redrawn once it is routed). */
    const critical = new Set<string>();
    const accepted = await withRetry(() =>
      db.transaction(async (tx) => {
        await store.lockSessions(firstTs, now, tx);
        const ids = await store.insertEvents(events, now, tx);
        // One event per id, even when a batch repeats an id.
        const fresh = events.filter((e) => ids.delete(e.id));
        if (fresh.length === 0) return 0;
        await store.insertTouches(
          fresh.filter((e) => e.type === "file_edit"),
          tx,
        );
        const bySession = new Map<string, AiderEvent[]>();
        for (const e of fresh) {
          const list = bySession.get(e.sessionId);
          if (list) list.push(e);
          else bySession.set(e.sessionId, [e]);
        }
        const alerts: EventInput[] = [];
        for (const id of [...bySession.keys()].sort()) {
          const sorted = (bySession.get(id) ?? []).sort((a, b) => a.ts.getTime() - b.ts.getTime());
          const routed = await applySession(sorted, now, tx);
          if (routed.some((a) => a.status === "firing")) critical.add(id);
          alerts.push(...routed);
        }
        await routes.add(ulid(), alerts, now, tx);
        return fresh.length;
      }),
    );
    if (accepted > 0) {
      await routes.drain();
      // A critical opened its incident only now: its session's message links to it.
      for (const id of critical) await db.transaction((tx) => showSession(id, clock.now(), tx));
      deps.onQueued();
    }
    return { accepted, duplicates: events.length - accepted };
  }

  return {
    queries,

    /**
     * Stores a `POST /api/aider/events` body (one event or an array) in one transaction.
     * @throws InputError (400) naming the first bad field; nothing is stored then.
     */
    ingest,

    /** Routes router events left over by a crash or a failed drain (called at start). */
    drainRoutes: () => routes.drain(),

    /** The session message's HTML as it is now (for /sessions Details). */
    async render(sessionId: string): Promise<string | undefined> {
      const view = await queries.view(sessionId, SESSION_VIEW_LIMITS);
      if (!view) return undefined;
      return publisher.render({
        kind: "aider_session",
        view,
        now: clock.now(),
        timeZone: deps.timeZone,
      }).text;
    },

    /** The aider section of the daily and weekly reports. */
    reportSection: aiderReportSection(db),
  };
}

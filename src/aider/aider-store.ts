import { and, asc, countDistinct, desc, eq, inArray, min, sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.ts";
import {
  type AiderSessionRow,
  aiderEvents,
  aiderFileTouches,
  aiderSessions,
} from "../../db/schema/index.ts";
import type { AiderEvent, AiderPayloads } from "./aider-event-schema.ts";

/**
 * Writes of the aider session watch (docs/aider-watch.md, Storage): events as received, file
 * touches, and the session summary derived from them. Every method takes the caller's
 * transaction.
 */
export type AiderStore = ReturnType<typeof createAiderStore>;

/** The larger of two counts, either possibly absent. */
const larger = (a: number | undefined, b: number) => Math.max(a ?? 0, b);

/** Builds the store. */
export function createAiderStore() {
  return {
    /**
     * Creates the rows of sessions not seen yet (with a provisional start, the earliest `ts`
     * given) and locks every one of them, in id order, until the transaction ends: two
     * batches of one session are summarised one after the other, never from stale counts.
     */
    async lockSessions(firstTs: Map<string, Date>, now: Date, tx: DbOrTx): Promise<void> {
      const ids = [...firstTs.keys()].sort();
      await tx
        .insert(aiderSessions)
        .values(ids.map((id) => ({ id, startedAt: firstTs.get(id) as Date, updatedAt: now })))
        .onConflictDoNothing({ target: aiderSessions.id });
      await tx
        .select({ id: aiderSessions.id })
        .from(aiderSessions)
        .where(inArray(aiderSessions.id, ids))
        .orderBy(asc(aiderSessions.id))
        .for("update");
    },

    /** Inserts the events whose id is new; returns the ids actually inserted. */
    async insertEvents(events: AiderEvent[], now: Date, tx: DbOrTx): Promise<Set<string>> {
      const rows = await tx
        .insert(aiderEvents)
        .values(
          events.map((e) => ({
            id: e.id,
            sessionId: e.sessionId,
            ts: e.ts,
            type: e.type,
            payload: e.payload as Record<string, unknown>,
            receivedAt: now,
          })),
        )
        .onConflictDoNothing({ target: aiderEvents.id })
        .returning({ id: aiderEvents.id });
      return new Set(rows.map((r) => r.id));
    },

    /** One flattened row per `file_edit` event (id = the event's id). */
    async insertTouches(
      edits: Extract<AiderEvent, { type: "file_edit" }>[],
      tx: DbOrTx,
    ): Promise<void> {
      if (edits.length === 0) return;
      await tx
        .insert(aiderFileTouches)
        .values(
          edits.map((e) => ({
            id: e.id,
            sessionId: e.sessionId,
            path: e.payload.path,
            touchedAt: e.ts,
            linesAdded: e.payload.lines_added,
            linesDeleted: e.payload.lines_deleted,
            isNewFile: e.payload.is_new_file,
          })),
        )
        .onConflictDoNothing({ target: aiderFileTouches.id });
    },

    /**
     * Recomputes session `id`'s summary from its stored events, so the result does not
     * depend on the order they arrived in: the first `session_start` fills repo, model,
     * arguments, pid, version and host and gives the start (else the earliest event does);
     * the last `session_end` gives end, duration, tokens and cost. Files changed and errors
     * are the larger of the client's totals and what was recorded here.
     */
    async refreshSession(id: string, now: Date, tx: DbOrTx): Promise<AiderSessionRow> {
      /** The first (`asc`) or last (`desc`) event of `type` in the session. */
      const edge = async (type: "session_start" | "session_end", order: typeof asc) => {
        const [row] = await tx
          .select({ ts: aiderEvents.ts, payload: aiderEvents.payload })
          .from(aiderEvents)
          .where(and(eq(aiderEvents.sessionId, id), eq(aiderEvents.type, type)))
          .orderBy(order(aiderEvents.ts), order(aiderEvents.id))
          .limit(1);
        return row;
      };
      const start = await edge("session_start", asc);
      const end = await edge("session_end", desc);
      const [agg] = await tx
        .select({
          first: min(aiderEvents.ts),
          errors: sql<number>`count(*) filter (where ${aiderEvents.type} = 'error')`.mapWith(
            Number,
          ),
        })
        .from(aiderEvents)
        .where(eq(aiderEvents.sessionId, id));
      const [files] = await tx
        .select({ n: countDistinct(aiderFileTouches.path) })
        .from(aiderFileTouches)
        .where(eq(aiderFileTouches.sessionId, id));
      const s = start?.payload as AiderPayloads["session_start"] | undefined;
      const e = end?.payload as AiderPayloads["session_end"] | undefined;
      const [row] = await tx
        .update(aiderSessions)
        .set({
          startedAt: start?.ts ?? agg?.first ?? now,
          endedAt: end?.ts ?? null,
          cwd: s?.cwd ?? null,
          model: s?.model ?? null,
          aiderArgs: s?.aider_args ?? null,
          aiderPid: s?.aider_pid ?? null,
          cliVersion: s?.cli_version ?? null,
          host: s?.host ?? null,
          durationSec: e ? Math.round(e.duration_sec) : null,
          tokensSent: e ? Math.round(e.tokens_sent) : 0,
          tokensRecv: e ? Math.round(e.tokens_received) : 0,
          costUsd: e?.cost_usd ?? 0,
          filesChanged: larger(e?.files_changed, files?.n ?? 0),
          errorCount: larger(e?.error_count, agg?.errors ?? 0),
          exitCode: e?.exit_code ?? null,
          updatedAt: now,
        })
        .where(eq(aiderSessions.id, id))
        .returning();
      return row as AiderSessionRow;
    },
  };
}

import { createHash } from "node:crypto";
import { and, asc, count, countDistinct, desc, eq, min, sql, sum } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.ts";
import {
  type AiderSessionRow,
  aiderEvents,
  aiderFileTouches,
  aiderSessions,
  alerts,
  incidents,
} from "../../db/schema/index.ts";
import type { AiderPayloads } from "./aider-event-schema.ts";

/** One file of a session: its touches summed. */
export interface FileSummary {
  path: string;
  added: number;
  deleted: number;
  isNew: boolean;
}

/** A list capped for display: the first `shown` items and how many there are in all. */
export interface Capped<T> {
  items: T[];
  total: number;
}

/** What a session message shows (src/notifications/views/aider-session.ts), read from the database. */
export interface SessionView {
  session: AiderSessionRow;
  files: Capped<FileSummary>;
  commits: Capped<{ sha: string; message: string }>;
  errors: Capped<{ kind: string; message: string }>;
  silences: Capped<{ idleSec: number; tail: string }>;
  /** Incidents of the session's critical alerts (auth, build), oldest first. */
  incidents: { number: number; status: string; kind: string }[];
}

/** How many items of each list a session message shows. */
export interface ViewLimits {
  files: number;
  commits: number;
  errors: number;
  silences: number;
}

/** Read side of the aider session watch: session views, the /sessions list, the key lookup. */
export type AiderQueries = ReturnType<typeof createAiderQueries>;

/**
 * A short, stable key of a session id for callback data (≤ 64 bytes whatever the client's
 * id): the first 16 hex digits of the SHA-256 of its UTF-8 bytes.
 */
export function sessionKey(sessionId: string): string {
  return createHash("sha256").update(sessionId, "utf8").digest("hex").slice(0, 16);
}

/** {@link sessionKey} computed by the database, for lookups. */
const keyOf = sql`left(encode(sha256(convert_to(${aiderSessions.id}, 'UTF8')), 'hex'), 16)`;

/** Builds the queries over `db`; every read may run inside a transaction instead. */
export function createAiderQueries(db: Db) {
  async function eventsOf<T extends "commit" | "error" | "silent_timeout">(
    sessionId: string,
    type: T,
    limit: number,
    tx: DbOrTx,
  ): Promise<Capped<AiderPayloads[T]>> {
    const where = and(eq(aiderEvents.sessionId, sessionId), eq(aiderEvents.type, type));
    const rows = await tx
      .select({ payload: aiderEvents.payload })
      .from(aiderEvents)
      .where(where)
      .orderBy(asc(aiderEvents.ts), asc(aiderEvents.id))
      .limit(limit);
    const [n] = await tx.select({ n: count() }).from(aiderEvents).where(where);
    return { items: rows.map((r) => r.payload as AiderPayloads[T]), total: n?.n ?? 0 };
  }

  async function filesOf(sessionId: string, limit: number, tx: DbOrTx) {
    const t = aiderFileTouches;
    const rows = await tx
      .select({
        path: t.path,
        added: sum(t.linesAdded).mapWith(Number),
        deleted: sum(t.linesDeleted).mapWith(Number),
        isNew: sql<boolean>`bool_or(${t.isNewFile})`,
        first: min(t.touchedAt),
      })
      .from(t)
      .where(eq(t.sessionId, sessionId))
      .groupBy(t.path)
      .orderBy(asc(min(t.touchedAt)), asc(t.path))
      .limit(limit);
    const [n] = await tx
      .select({ n: countDistinct(t.path) })
      .from(t)
      .where(eq(t.sessionId, sessionId));
    return {
      items: rows.map(({ path, added, deleted, isNew }) => ({ path, added, deleted, isNew })),
      total: n?.n ?? 0,
    };
  }

  return {
    /** Everything the message of session `id` shows; undefined for an unknown session. */
    async view(id: string, limits: ViewLimits, tx: DbOrTx = db): Promise<SessionView | undefined> {
      const [session] = await tx.select().from(aiderSessions).where(eq(aiderSessions.id, id));
      if (!session) return undefined;
      const commits = await eventsOf(id, "commit", limits.commits, tx);
      const errors = await eventsOf(id, "error", limits.errors, tx);
      const silences = await eventsOf(id, "silent_timeout", limits.silences, tx);
      return {
        session,
        files: await filesOf(id, limits.files, tx),
        commits: {
          ...commits,
          items: commits.items.map((c) => ({ sha: c.sha, message: c.message })),
        },
        errors: {
          ...errors,
          items: errors.items.map((e) => ({ kind: e.kind, message: e.message })),
        },
        silences: {
          ...silences,
          items: silences.items.map((s) => ({ idleSec: s.idle_sec, tail: s.last_output_tail })),
        },
        incidents: await tx
          .selectDistinct({
            number: incidents.number,
            status: incidents.status,
            kind: sql<string>`coalesce(${alerts.labels}->>'kind', '')`,
          })
          .from(alerts)
          .innerJoin(incidents, eq(incidents.id, alerts.incidentId))
          .where(and(eq(alerts.source, "aider"), sql`${alerts.labels}->>'session_id' = ${id}`))
          .orderBy(asc(incidents.number)),
      };
    },

    /** Error kinds and silences a session has had (which of its alerts may be firing). */
    async alertKinds(sessionId: string, tx: DbOrTx = db): Promise<Set<string>> {
      const rows = await tx
        .selectDistinct({
          kind: sql<string>`case when ${aiderEvents.type} = 'error' then ${aiderEvents.payload}->>'kind' else 'silent_timeout' end`,
        })
        .from(aiderEvents)
        .where(
          and(
            eq(aiderEvents.sessionId, sessionId),
            sql`${aiderEvents.type} in ('error', 'silent_timeout')`,
          ),
        );
      return new Set(rows.map((r) => r.kind));
    },

    /** The newest sessions first (/sessions), with the total for paging. */
    async page(opts: { offset: number; limit: number }) {
      const rows = await db
        .select()
        .from(aiderSessions)
        .orderBy(desc(aiderSessions.startedAt), desc(aiderSessions.id))
        .offset(opts.offset)
        .limit(opts.limit);
      const [n] = await db.select({ n: count() }).from(aiderSessions);
      return { rows, total: n?.n ?? 0 };
    },

    /** The session whose {@link sessionKey} is `key`, if any. */
    async byKey(key: string): Promise<string | undefined> {
      const [row] = await db
        .select({ id: aiderSessions.id })
        .from(aiderSessions)
        .where(sql`${keyOf} = ${key}`)
        .limit(1);
      return row?.id;
    },
  };
}

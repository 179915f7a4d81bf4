import { and, asc, count, eq, gt, gte, isNull } from "drizzle-orm";
import { ulid } from "ulid";
import type { Db } from "../../db/client.ts";
import { events, type MuteRow, mutes } from "../../db/schema/index.ts";
import { recordDecision } from "../autonomy/decision-log.ts";
import { NotFoundError } from "../errors.ts";
import type { Clock } from "../types.ts";
import { type CompiledMatcher, compileMatcher, type Matcher, matchAll } from "./matchers.ts";

/** A new mute: matchers, how long from now (or from `startsAt`), who and why. */
export interface NewMute {
  matchers: Matcher[];
  durationMs: number;
  startsAt?: Date;
  createdBy: string;
  reason: string;
  alertId?: string | null;
  /** The incident of that alert, recorded with the decision. */
  incidentId?: string | null;
}

interface CachedMute {
  row: MuteRow;
  matchers: CompiledMatcher[];
}

/** Mutes (silences): create, lift, list, and match labels against the active ones. */
export type MuteService = Awaited<ReturnType<typeof createMuteService>>;

/**
 * Builds the mute service (DESIGN.md, Mutes). Mutes that have not ended are cached in
 * memory; the cache is reloaded after every change made here and at least every
 * `refreshMs` (default 10 s, by `clock`) so that changes by other replicas arrive. Whether a
 * mute applies is decided by time on each match, so an expired mute stops applying on its
 * own, without a reload.
 */
export async function createMuteService(deps: { db: Db; clock: Clock; refreshMs?: number }) {
  const { db, clock } = deps;
  const refreshMs = deps.refreshMs ?? 10_000;
  let cache: CachedMute[] = [];
  let loadedAt = Number.NEGATIVE_INFINITY;

  async function reload(): Promise<void> {
    const now = clock.now();
    const rows = await db
      .select()
      .from(mutes)
      .where(and(isNull(mutes.liftedAt), gt(mutes.endsAt, now)))
      .orderBy(asc(mutes.endsAt));
    cache = rows.map((row) => ({ row, matchers: row.matchers.map(compileMatcher) }));
    loadedAt = now.getTime();
  }
  await reload();

  const service = {
    /**
     * Reloads the cache when it is older than `refreshMs`. Call it before a transaction
     * that uses {@link match}: it reads through `db`, never inside a transaction.
     */
    async ensureFresh(): Promise<void> {
      if (clock.now().getTime() - loadedAt >= refreshMs) await reload();
    },

    /** The first mute in force at `now` whose matchers all hold for `labels`, if any. */
    match(labels: Readonly<Record<string, string>>, now: Date): MuteRow | undefined {
      const t = now.getTime();
      for (const m of cache) {
        if (m.row.startsAt.getTime() > t || m.row.endsAt.getTime() <= t) continue;
        if (matchAll(m.matchers, labels)) return m.row;
      }
      return undefined;
    },

    /**
     * Creates a mute and reloads the cache. A mute is a person's decision: it is recorded
     * with the mute, in one transaction (the autonomy index counts it).
     * @throws InputError when a regex matcher does not compile.
     */
    async create(m: NewMute): Promise<MuteRow> {
      m.matchers.forEach(compileMatcher);
      const now = clock.now();
      const startsAt = m.startsAt ?? now;
      const row = await db.transaction(async (tx) => {
        const [inserted] = await tx
          .insert(mutes)
          .values({
            id: ulid(),
            matchers: m.matchers.map(({ name, op, value }) => ({ name, op, value })),
            startsAt,
            endsAt: new Date(startsAt.getTime() + m.durationMs),
            createdBy: m.createdBy,
            reason: m.reason,
            createdAt: now,
            alertId: m.alertId ?? null,
          })
          .returning();
        const mute = inserted as MuteRow;
        await recordDecision(tx, {
          action: "mute",
          actor: m.createdBy,
          at: now,
          alertId: mute.alertId,
          incidentId: m.incidentId,
          muteId: mute.id,
        });
        return mute;
      });
      await reload();
      return row;
    },

    /**
     * Lifts a mute now (`who` recorded). Lifting one that already ended or was lifted
     * changes nothing. Returns the row and whether it changed.
     * @throws NotFoundError for an unknown id.
     */
    async lift(id: string, who: string): Promise<{ mute: MuteRow; changed: boolean }> {
      const now = clock.now();
      const [lifted] = await db
        .update(mutes)
        .set({ liftedAt: now, liftedBy: who })
        .where(and(eq(mutes.id, id), isNull(mutes.liftedAt), gt(mutes.endsAt, now)))
        .returning();
      if (lifted) {
        await reload();
        return { mute: lifted, changed: true };
      }
      const [row] = await db.select().from(mutes).where(eq(mutes.id, id));
      if (!row) throw new NotFoundError(`mute ${id}`);
      return { mute: row, changed: false };
    },

    /** Mutes in force or scheduled at `now`, soonest end first (read from the database). */
    async listActive(): Promise<MuteRow[]> {
      await reload();
      return cache.map((m) => m.row);
    },

    /** One mute by id. */
    async get(id: string): Promise<MuteRow | undefined> {
      const [row] = await db.select().from(mutes).where(eq(mutes.id, id));
      return row;
    },

    /** How many events were muted since `since` (shown in /status). */
    async mutedEventsSince(since: Date): Promise<number> {
      const [r] = await db
        .select({ n: count() })
        .from(events)
        .where(and(eq(events.outcome, "muted"), gte(events.receivedAt, since)));
      return r?.n ?? 0;
    },

    /** Mutes in the cache that are in force at `now` (for /status and the gauge). */
    activeCount(now: Date): number {
      const t = now.getTime();
      return cache.filter((m) => m.row.startsAt.getTime() <= t && m.row.endsAt.getTime() > t)
        .length;
    },
  };
  return service;
}

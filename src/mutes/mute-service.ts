import { and, asc, count, eq, gt, gte, isNull } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.ts";
import { alerts, events, type MuteRow, mutes } from "../../db/schema/index.ts";
import { recordDecision } from "../autonomy/decision-log.ts";
import { NotFoundError } from "../errors.ts";
import { ulid } from "../ids.ts";
import type { Clock } from "../types.ts";
import { type Silence, type SilenceClient, SilenceError } from "./alertmanager-silences.ts";
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

/**
 * What happened on Alertmanager's side of a mute change: no `ALERTMANAGER_URL` (`off`), the
 * silence was created or expired (`done`, with its id), or Alertmanager failed (`failed`,
 * the mute still holds here).
 */
export type SilenceOutcome =
  | { state: "off" }
  | { state: "done"; id: string }
  | { state: "failed"; error: string };

/** A mute just created, with what Alertmanager did about it. */
export type CreatedMute = MuteRow & { silence: SilenceOutcome };

interface CachedMute {
  row: MuteRow;
  matchers: CompiledMatcher[];
}

/** Mutes (silences): create, lift, list, and match labels against the active ones. */
export type MuteService = Awaited<ReturnType<typeof createMuteService>>;

/**
 * Builds the mute service (README, mutes). Mutes that have not ended are cached in
 * memory and reloaded after every change made here. Changes by other replicas: with
 * `version` (the stored version of the mutes table, bumped by a trigger in the same
 * transaction as every change; docs/operations.md, Scaling out) {@link ensureFresh} compares
 * it and reloads when it moved, so a mute committed on any replica applies to the next
 * ingest everywhere; without it (one process on PGlite) the cache is reloaded at least every
 * `refreshMs` (default 10 s, by `clock`). Whether a mute applies is decided by time on each
 * match, so an expired mute stops applying on its own, without a reload.
 *
 * With `silences` (`ALERTMANAGER_URL`) every mute is also an Alertmanager silence: created
 * after the mute is stored (creator = the person, comment = the reason), expired when it is
 * lifted. Alertmanager failing never fails the mute; the outcome says what happened there.
 */
export async function createMuteService(deps: {
  db: Db;
  clock: Clock;
  refreshMs?: number;
  /** The stored version of the mutes (replicas' change feed), read through `tx`. */
  version?: (tx: DbOrTx) => Promise<number>;
  silences?: SilenceClient;
}) {
  const { db, clock } = deps;
  const refreshMs = deps.refreshMs ?? 10_000;
  let cache: CachedMute[] = [];
  let loadedAt = Number.NEGATIVE_INFINITY;
  let loadedVersion = -1;

  async function reload(via: DbOrTx = db): Promise<void> {
    const now = clock.now();
    // Version first: a change committed between the two reads makes the next check reload.
    if (deps.version) loadedVersion = await deps.version(via);
    const rows = await via
      .select()
      .from(mutes)
      .where(and(isNull(mutes.liftedAt), gt(mutes.endsAt, now)))
      .orderBy(asc(mutes.endsAt));
    cache = rows.map((row) => ({ row, matchers: row.matchers.map(compileMatcher) }));
    loadedAt = now.getTime();
  }
  await reload();

  async function expire(silenceId: string | null | undefined): Promise<SilenceOutcome> {
    if (!deps.silences || !silenceId) return { state: "off" };
    try {
      await deps.silences.expire(silenceId);
      return { state: "done", id: silenceId };
    } catch (err) {
      if (!(err instanceof SilenceError)) throw err;
      return { state: "failed", error: err.message };
    }
  }

  const service = {
    /**
     * Reloads the cache when the stored version moved (replicas), else when it is older than
     * `refreshMs`. Reads through `tx` (default the database): an ingest passes its own
     * transaction, so the check shares its connection and round trip (taking a second pool
     * connection from inside a transaction could exhaust the pool under load).
     */
    async ensureFresh(tx: DbOrTx = db): Promise<void> {
      if (deps.version) {
        if ((await deps.version(tx)) !== loadedVersion) await reload(tx);
      } else if (clock.now().getTime() - loadedAt >= refreshMs) await reload(tx);
    },

    /** Reloads the cache now (another replica changed a mute). */
    reload: () => reload(),

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
     * with the mute, in one transaction (the autonomy index counts it). Then, with
     * Alertmanager configured, the silence is created and its id stored on the mute.
     * @throws InputError when a regex matcher does not compile.
     */
    async create(m: NewMute): Promise<CreatedMute> {
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
      if (!deps.silences) return { ...row, silence: { state: "off" } };
      try {
        const id = await deps.silences.create({
          matchers: row.matchers,
          startsAt: row.startsAt,
          endsAt: row.endsAt,
          createdBy: row.createdBy,
          comment: row.reason || "muted from commandpost",
        });
        await db.update(mutes).set({ silenceId: id }).where(eq(mutes.id, row.id));
        return { ...row, silenceId: id, silence: { state: "done", id } };
      } catch (err) {
        if (!(err instanceof SilenceError)) throw err;
        return { ...row, silence: { state: "failed", error: err.message } };
      }
    },

    /**
     * Lifts a mute now (`who` recorded). Lifting one that already ended or was lifted
     * changes nothing. Returns the row and whether it changed.
     * @throws NotFoundError for an unknown id.
     */
    async lift(
      id: string,
      who: string,
    ): Promise<{ mute: MuteRow; changed: boolean; silence: SilenceOutcome }> {
      const now = clock.now();
      const [lifted] = await db
        .update(mutes)
        .set({ liftedAt: now, liftedBy: who })
        .where(and(eq(mutes.id, id), isNull(mutes.liftedAt), gt(mutes.endsAt, now)))
        .returning();
      if (lifted) {
        await reload();
        return { mute: lifted, changed: true, silence: await expire(lifted.silenceId) };
      }
      const [row] = await db.select().from(mutes).where(eq(mutes.id, id));
      if (!row) throw new NotFoundError(`mute ${id}`);
      return { mute: row, changed: false, silence: { state: "off" } };
    },

    /** Expires Alertmanager silence `id` (one made in its UI, listed by /mutes). */
    expireSilence: expire,

    /**
     * Alertmanager's active and pending silences that no mute here made (created in its UI
     * or by amtool), soonest end first; `failed` when Alertmanager did not answer.
     */
    async foreignSilences(): Promise<Silence[] | { failed: string } | undefined> {
      if (!deps.silences) return undefined;
      try {
        const ours = new Set(
          (await db.select({ id: mutes.silenceId }).from(mutes)).map((r) => r.id),
        );
        return (await deps.silences.listActive())
          .filter((s) => !ours.has(s.id))
          .sort((a, b) => a.endsAt.getTime() - b.endsAt.getTime());
      } catch (err) {
        if (!(err instanceof SilenceError)) throw err;
        return { failed: err.message };
      }
    },

    /** How many firing alerts `matchers` match now (labels plus `alertname`). */
    async firingMatches(matchers: readonly CompiledMatcher[]): Promise<number> {
      const rows = await db
        .select({ type: alerts.type, labels: alerts.labels })
        .from(alerts)
        .where(eq(alerts.status, "firing"));
      return rows.filter((r) => matchAll(matchers, { alertname: r.type, ...r.labels })).length;
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

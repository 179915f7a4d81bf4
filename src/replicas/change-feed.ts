import type { Coordination, Db, DbOrTx } from "../../db/client.ts";
import { changeVersions } from "../../db/schema/index.ts";
import { statement } from "../../db/statement.ts";
import { coerceError } from "../errors.ts";
import type { Logger } from "../logger.ts";

/** The channel the change trigger notifies (db/migrations/0009_replicas.sql). */
export const CHANGES_CHANNEL = "commandpost_changes";

/**
 * Shared tables whose changes replicas follow; a topic is the table's name. `agent_states`
 * notifications carry the agent's name as key, the others none (reload the whole table).
 */
export const TOPICS = [
  "backends",
  "backend_models",
  "agents",
  "mutes",
  "cooldown_events",
  "agent_states",
] as const;
/** A followed table. */
export type Topic = (typeof TOPICS)[number];

/** What changed: some keys of a topic, or possibly anything (`all`: reload it whole). */
export type Changed = { all: true } | { all: false; keys: ReadonlySet<string> };

/** A reaction to changes made by other replicas. */
export type ChangeHandler = (changed: Changed) => Promise<void> | void;

/** Dependencies of {@link createChangeFeed}. */
export interface ChangeFeedDeps {
  db: Db;
  /** Absent on PGlite: one process, nobody else writes, the feed stays idle. */
  coordination: Coordination | undefined;
  /** This replica's id: its own notifications are skipped (it applied its change already). */
  replicaId: string;
  logger: Logger;
  /** Safety net: versions are compared this often (ms, default 5000). */
  pollMs?: number;
}

/** Changes of shared tables made by other replicas, delivered to handlers. */
export type ChangeFeed = ReturnType<typeof createChangeFeed>;

/** The stored version of one topic (fixed text: prepared, see db/statement.ts). */
const versionOf = statement(
  "change_version",
  `select version from change_versions where topic = $1`,
);

/** A parsed notification payload `topic|origin|version|key`. */
export function parseChange(
  payload: string,
): { topic: string; origin: string; version: number; key: string } | undefined {
  const [topic, origin, version, ...key] = payload.split("|");
  if (!topic || origin === undefined || !version || !/^\d+$/.test(version)) return undefined;
  return { topic, origin, version: Number(version), key: key.join("|") };
}

/**
 * Builds the feed. The trigger notifies at commit; handlers of a topic run one at a time,
 * and what arrives meanwhile is merged into one more run. Two safety nets cover lost
 * notifications: every `pollMs` the stored versions are compared with the last seen, and a
 * reconnect of the listening connection reloads every topic.
 */
export function createChangeFeed(deps: ChangeFeedDeps) {
  const { logger } = deps;
  const pollMs = deps.pollMs ?? 5000;
  const handlers = new Map<Topic, ChangeHandler[]>();
  const seen = new Map<string, number>();
  const pending = new Map<Topic, Changed>();
  const running = new Map<Topic, Promise<void>>();
  let unlisten: (() => Promise<void>) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;

  const isTopic = (t: string): t is Topic => (TOPICS as readonly string[]).includes(t);

  function merge(a: Changed | undefined, b: Changed): Changed {
    if (!a) return b;
    if (a.all || b.all) return { all: true };
    return { all: false, keys: new Set([...a.keys, ...b.keys]) };
  }

  function schedule(topic: Topic, changed: Changed): void {
    if (!handlers.has(topic)) return;
    pending.set(topic, merge(pending.get(topic), changed));
    if (running.has(topic)) return;
    const run = (async () => {
      for (let next = pending.get(topic); next; next = pending.get(topic)) {
        pending.delete(topic);
        for (const h of handlers.get(topic) ?? []) {
          try {
            await h(next);
          } catch (err) {
            logger.error({ topic, err: coerceError(err).message }, "applying a change failed");
          }
        }
      }
    })().finally(() => running.delete(topic));
    running.set(topic, run);
  }

  function onPayload(payload: string): void {
    const c = parseChange(payload);
    if (!c || !isTopic(c.topic)) return;
    seen.set(c.topic, Math.max(seen.get(c.topic) ?? 0, c.version));
    if (c.origin === deps.replicaId) return;
    schedule(c.topic, c.key ? { all: false, keys: new Set([c.key]) } : { all: true });
  }

  async function poll(): Promise<void> {
    const rows = await deps.db.select().from(changeVersions);
    for (const r of rows) {
      if (!isTopic(r.topic) || r.version <= (seen.get(r.topic) ?? 0)) continue;
      seen.set(r.topic, r.version);
      schedule(r.topic, { all: true });
    }
  }

  return {
    /** Runs `handler` after other replicas changed `topic`. Register before {@link start}. */
    on(topic: Topic, handler: ChangeHandler): void {
      handlers.set(topic, [...(handlers.get(topic) ?? []), handler]);
    },
    /** The stored version of `topic` (0 before its first change), read through `tx`: one query. */
    async version(topic: Topic, tx: DbOrTx = deps.db): Promise<number> {
      // Every ingest asks this in its transaction: a prepared statement (db/statement.ts).
      const [r] = await versionOf.run(tx, [topic]);
      return Number(r?.version ?? 0);
    },
    /** Listens and starts the safety-net poll (nothing on PGlite). */
    async start(): Promise<void> {
      const c = deps.coordination;
      if (!c || unlisten) return;
      for (const r of await deps.db.select().from(changeVersions)) seen.set(r.topic, r.version);
      // Every (re)connect may follow missed notifications: the first one covers changes made
      // between the services' loading their state and this listen.
      unlisten = await c.listen(CHANGES_CHANNEL, onPayload, () => {
        for (const t of handlers.keys()) schedule(t, { all: true });
      });
      timer = setInterval(() => {
        polling ??= poll()
          .catch((err: unknown) =>
            logger.warn({ err: coerceError(err).message }, "change version poll failed"),
          )
          .finally(() => {
            polling = undefined;
          });
      }, pollMs);
      timer.unref();
    },
    /** Stops listening and waits for running handlers. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await polling;
      await unlisten?.().catch(() => {});
      unlisten = undefined;
      await Promise.all(running.values());
    },
  };
}

import { asc, count, eq, sql } from "drizzle-orm";
import { type Db, rowsOf } from "../../db/client.ts";
import { type ReplicaRow, replicas } from "../../db/schema/index.ts";
import { coerceError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { ReplicaIdentity } from "./replica-identity.ts";
import { ROLE_LOCK_CLASS, ROLES, type Role } from "./role-elector.ts";

/** A replica counts as gone once it missed this many renewals. */
export const MISSED_RENEWALS_GONE = 3;
/** Rows of replicas gone for this long are deleted (ms): 1 h. */
const FORGET_AFTER_MS = 3_600_000;

/** One live replica as /status and `GET /api/admin/replicas` show it. */
export interface ReplicaView {
  id: string;
  host: string;
  pid: number;
  version: string;
  port: number;
  startedAt: Date;
  lastSeenAt: Date;
  /** Roles whose lock this replica's session holds (Postgres), or that it holds (PGlite). */
  roles: Role[];
  /** True for the replica answering. */
  self: boolean;
}

/** Live replicas and, per role, the id of the replica holding it (null: nobody right now). */
export interface ReplicaListing {
  replicas: ReplicaView[];
  holders: Record<Role, string | null>;
}

/** Dependencies of {@link createMembership}. */
export interface MembershipDeps {
  db: Db;
  identity: ReplicaIdentity;
  logger: Logger;
  /** Renewal period (ms, `REPLICA_RENEW_S`). */
  renewMs: number;
  /** Roles held now and the coordination session's backend pid (src/replicas/role-elector.ts). */
  roles: () => Role[];
  sessionPid: () => number | null;
  /** True on Postgres: role holders are read from `pg_locks`, the authority. */
  shared: boolean;
}

/** This replica's row in `replicas`, renewed on a timer, and the listing of all. */
export type Membership = ReturnType<typeof createMembership>;

/**
 * Builds membership. Times are the database's (`now()`), the one clock every replica shares,
 * so a replica's clock skew never makes another look gone.
 */
export function createMembership(deps: MembershipDeps) {
  const { db, identity } = deps;
  let port = 0;
  let live = 1;
  let timer: NodeJS.Timeout | undefined;
  let renewing: Promise<void> | undefined;

  const values = () => ({
    port,
    roles: deps.roles(),
    sessionPid: deps.sessionPid(),
    lastSeenAt: sql`now()`,
    renewMs: deps.renewMs,
  });

  async function upsert(): Promise<void> {
    const row = {
      id: identity.id,
      host: identity.host,
      pid: identity.pid,
      version: identity.version,
      startedAt: identity.startedAt,
      ...values(),
    };
    await db
      .insert(replicas)
      .values(row)
      .onConflictDoUpdate({ target: replicas.id, set: values() });
  }

  /** Rows seen within {@link MISSED_RENEWALS_GONE} of their own renewal periods. */
  const isLive = sql`${replicas.lastSeenAt} > now() - make_interval(secs => ${replicas.renewMs} * ${MISSED_RENEWALS_GONE} / 1000.0)`;

  async function renew(): Promise<void> {
    await upsert();
    await db
      .delete(replicas)
      .where(
        sql`${replicas.lastSeenAt} < now() - make_interval(secs => ${FORGET_AFTER_MS / 1000}::double precision)`,
      );
    const [n] = await db.select({ n: count() }).from(replicas).where(isLive);
    live = Math.max(1, n?.n ?? 1);
  }

  async function holdersOnPostgres(): Promise<Map<string, Role[]>> {
    const rows = await db.execute(sql`
      select r.id as id, l.objid::int as objid from pg_locks l
      join ${replicas} r on r.session_pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.classid = ${ROLE_LOCK_CLASS}::int::oid
        and l.objsubid = 2
        and l.database = (select oid from pg_database where datname = current_database())`);
    const out = new Map<string, Role[]>();
    for (const r of rowsOf(rows)) {
      const role = ROLES[Number(r.objid) - 1];
      if (role) out.set(String(r.id), [...(out.get(String(r.id)) ?? []), role]);
    }
    return out;
  }

  return {
    /** Writes this replica's row now (at start, and when its roles change). */
    register: upsert,
    /** Live replicas at the last renewal (at least 1: this one). */
    liveCount: (): number => live,
    /** Records the HTTP port once the server listens. */
    setPort(p: number): void {
      port = p;
    },
    /** Live replicas (seen within {@link MISSED_RENEWALS_GONE} renewals), oldest first. */
    async list(): Promise<ReplicaListing> {
      const rows: ReplicaRow[] = await db
        .select()
        .from(replicas)
        .where(isLive)
        .orderBy(asc(replicas.startedAt), asc(replicas.id));
      const locked = deps.shared ? await holdersOnPostgres() : undefined;
      const views = rows.map((r) => ({
        id: r.id,
        host: r.host,
        pid: r.pid,
        version: r.version,
        port: r.port,
        startedAt: r.startedAt,
        lastSeenAt: r.lastSeenAt,
        roles: ROLES.filter((role) =>
          (locked ? (locked.get(r.id) ?? []) : r.id === identity.id ? deps.roles() : []).includes(
            role,
          ),
        ),
        self: r.id === identity.id,
      }));
      const holders = Object.fromEntries(
        ROLES.map((role) => [role, views.find((v) => v.roles.includes(role))?.id ?? null]),
      ) as Record<Role, string | null>;
      return { replicas: views, holders };
    },
    /** Renews every `renewMs` until {@link Membership.stop}. */
    start(): void {
      if (timer) return;
      timer = setInterval(() => {
        if (renewing) return;
        renewing = renew()
          .catch((err: unknown) =>
            deps.logger.warn({ err: coerceError(err).message }, "replica renewal failed"),
          )
          .finally(() => {
            renewing = undefined;
          });
      }, deps.renewMs);
      timer.unref();
    },
    /** Stops renewing and removes this replica's row (a clean leave). */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await renewing;
      await db.delete(replicas).where(eq(replicas.id, identity.id));
    },
  };
}

import type { Coordination, CoordinationSession } from "../../db/client.ts";
import { coerceError } from "../errors.ts";
import type { Logger } from "../logger.ts";

/**
 * Roles that exactly one replica holds at a time (docs/operations.md, Scaling out):
 * `telegram` polls the Bot API (long-polling mode only), `watchdog` evaluates heartbeats.
 */
export const ROLES = ["telegram", "watchdog"] as const;
/** A role name. */
export type Role = (typeof ROLES)[number];

/**
 * First key of the session advisory locks that stand for roles; the second key is the role's
 * index in {@link ROLES} plus one. Other commandpost locks use 7262001 (migrations, one
 * bigint key), 7262006 (scheduler period claims) and 7262017 (outbox claims, one bigint key).
 */
export const ROLE_LOCK_CLASS = 7_262_016;

/** The lock id (second key) of `role`. */
export function roleLockId(role: Role): number {
  return ROLES.indexOf(role) + 1;
}

/** What a replica does when it gains or loses a role. */
export interface RoleHandlers {
  onAcquire(): Promise<void> | void;
  onRelease(): Promise<void> | void;
}

/** Dependencies of {@link createRoleElector}. */
export interface RoleElectorDeps {
  /** Postgres coordination; absent on PGlite, where this single process holds every role. */
  coordination: Coordination | undefined;
  logger: Logger;
  /** How often free roles are tried and held ones verified (ms, default 1000). */
  checkMs?: number;
  /** A check that takes longer counts as a lost session (ms, default 5000). */
  checkTimeoutMs?: number;
}

/** Holds roles by advisory locks on one dedicated session. */
export type RoleElector = ReturnType<typeof createRoleElector>;

/**
 * Builds the elector. Every `checkMs` it verifies, in `pg_locks`, that the locks it believes
 * it holds are still granted to its session (a dropped connection releases them server-side;
 * postgres.js would reconnect silently), releases lost roles at once, and tries
 * `pg_try_advisory_lock` for the wanted roles it lacks. A failed or slow check drops the
 * session and every role; the next check opens a new one. So a replica killed with SIGKILL
 * loses its roles when the server sees its socket close, and another one takes them within
 * `checkMs`.
 */
export function createRoleElector(deps: RoleElectorDeps) {
  const { logger } = deps;
  const checkMs = deps.checkMs ?? 1000;
  const timeoutMs = deps.checkTimeoutMs ?? 5000;
  const wanted = new Map<Role, RoleHandlers>();
  const held = new Set<Role>();
  const listeners: (() => void)[] = [];
  let session: CoordinationSession | undefined;
  let sessionPid: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  let checking: Promise<void> | undefined;
  let running = false;

  async function gain(role: Role): Promise<void> {
    held.add(role);
    logger.info({ role }, "role acquired");
    for (const l of listeners) l();
    try {
      await wanted.get(role)?.onAcquire();
    } catch (err) {
      logger.error({ role, err: coerceError(err).message }, "starting a role failed");
    }
  }

  async function lose(role: Role, why: string): Promise<void> {
    if (!held.delete(role)) return;
    logger.warn({ role, why }, "role released");
    for (const l of listeners) l();
    try {
      await wanted.get(role)?.onRelease();
    } catch (err) {
      logger.error({ role, err: coerceError(err).message }, "stopping a role failed");
    }
  }

  async function dropSession(why: string): Promise<void> {
    for (const role of [...held]) await lose(role, why);
    const s = session;
    session = undefined;
    sessionPid = null;
    await s?.close().catch(() => {});
  }

  async function verifyAndTry(s: CoordinationSession): Promise<void> {
    const rows = await s.query<{ objid: number }>(
      `select objid::int as objid from pg_locks where locktype = 'advisory' and granted
         and pid = pg_backend_pid() and classid = $1::int::oid and objsubid = 2`,
      [ROLE_LOCK_CLASS],
    );
    const granted = new Set(rows.map((r) => Number(r.objid)));
    for (const role of [...held]) {
      if (!granted.has(roleLockId(role))) await lose(role, "its lock is no longer held");
    }
    for (const role of wanted.keys()) {
      if (held.has(role) || !running) continue;
      const [r] = await s.query<{ got: boolean }>("select pg_try_advisory_lock($1, $2) as got", [
        ROLE_LOCK_CLASS,
        roleLockId(role),
      ]);
      // A check that timed out may answer late, on a session already dropped: ignore it.
      if (r?.got && s === session) await gain(role);
    }
  }

  async function openAndVerify(c: Coordination): Promise<void> {
    if (!session) {
      session = c.openSession();
      const [r] = await session.query<{ pid: number }>("select pg_backend_pid() as pid");
      sessionPid = r ? Number(r.pid) : null;
    }
    await verifyAndTry(session);
  }

  async function check(): Promise<void> {
    const c = deps.coordination;
    if (!c) return;
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        openAndVerify(c),
        new Promise<never>((_, reject) => {
          timeout = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      logger.error({ err: coerceError(err).message }, "coordination session failed; reopening");
      await dropSession("the coordination session failed");
    } finally {
      clearTimeout(timeout);
    }
  }

  function tick(): void {
    if (checking || !running) return;
    checking = check().finally(() => {
      checking = undefined;
    });
  }

  return {
    /** Declares a role this replica competes for, and what to do on gaining or losing it. */
    want(role: Role, handlers: RoleHandlers): void {
      wanted.set(role, handlers);
    },
    /** Roles held now. */
    held: (): Role[] => ROLES.filter((r) => held.has(r)),
    /** Backend pid of the coordination session (matches `pg_locks.pid`), null without one. */
    sessionPid: (): number | null => sessionPid,
    /** Called whenever the held roles change. */
    onChange(listener: () => void): void {
      listeners.push(listener);
    },
    /**
     * Starts competing. Resolves after the first attempt, so a replica that starts alone
     * holds its roles when this resolves. On PGlite every wanted role is taken at once.
     */
    async start(): Promise<void> {
      if (running) return;
      running = true;
      if (!deps.coordination) {
        for (const role of wanted.keys()) await gain(role);
        return;
      }
      tick();
      await checking;
      timer = setInterval(tick, checkMs);
      timer.unref();
    },
    /** Gives up every role (their `onRelease` runs first), then closes the session. */
    async stop(): Promise<void> {
      running = false;
      if (timer) clearInterval(timer);
      await checking;
      await dropSession("stopping");
    },
  };
}

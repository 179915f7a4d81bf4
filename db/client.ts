import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { pgliteOptions } from "./pglite-options.ts";
import * as schema from "./schema/index.ts";

/** The drizzle database every repository takes; the same type for Postgres and PGlite. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** A transaction or the database itself; repositories accept either. */
export type DbOrTx = Parameters<Parameters<Db["transaction"]>[0]>[0] | Db;

/** An open database with its lifecycle. */
export interface Database {
  db: Db;
  kind: "postgres" | "pglite";
  /** Round trip used by /readyz. */
  ping(): Promise<void>;
  /** Closes connections; releases the PGlite directory lock. Idempotent. */
  close(): Promise<void>;
  /**
   * Postgres only: what replicas coordinate with (src/replicas). PGlite has none: it serves
   * one process, which then holds every role.
   */
  coordination?: Coordination;
}

/**
 * Sessions and notifications for coordinating replicas on one Postgres (docs/operations.md,
 * Scaling out).
 */
export interface Coordination {
  /**
   * Opens a session of its own: one connection, never recycled, so the session-level
   * advisory locks taken on it live exactly as long as it does. The server drops a peer that
   * vanished without closing its socket after about 11 s (TCP keepalive 5 s, then 3 probes
   * 2 s apart), which releases its locks.
   */
  openSession(): CoordinationSession;
  /**
   * `LISTEN channel` on a dedicated connection. `onListen` runs at every (re)connect of that
   * connection, when notifications may have been missed. Resolves to an unlisten function.
   */
  listen(
    channel: string,
    onPayload: (payload: string) => void,
    onListen: () => void,
  ): Promise<() => Promise<void>>;
}

/** One dedicated Postgres connection (see {@link Coordination.openSession}). */
export interface CoordinationSession {
  /** Runs one statement with `$1…` parameters; resolves to its rows. */
  query<T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Closes the connection (its advisory locks are released by the server). Idempotent. */
  close(): Promise<void>;
}

/** Rows of a raw `execute`: postgres.js returns an array, PGlite `{ rows }`. */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  return ((result as { rows?: unknown[] }).rows ?? []) as Record<string, unknown>[];
}

const MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), "migrations");

/** Options for {@link openDatabase}. */
export interface OpenOptions {
  /** Postgres connection string; when unset PGlite is used. */
  url?: string | undefined;
  /** Directory for the PGlite data (`<dataDir>/pglite`); unset → in memory. */
  dataDir?: string | undefined;
  /** Postgres pool size (default 10). */
  maxConnections?: number;
  /**
   * Postgres `application_name` of every connection: the replica id, so the change trigger
   * can say which replica wrote (db/migrations/0009_replicas.sql). Default `commandpost`.
   */
  applicationName?: string;
  /**
   * Called with the text of every statement sent (benchmarks count statements per request
   * with it). On Postgres this is every statement on the pool's connections, `begin` and
   * `commit` included (postgres.js `debug`); on PGlite every statement drizzle sends.
   */
  onQuery?: (text: string) => void;
}

/**
 * Opens Postgres (`url`) or PGlite (in `dataDir`, or in memory) and applies the migrations
 * in db/migrations. Throws when PGlite's directory is locked by a live process.
 */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.url)
    return openPostgres(
      opts.url,
      opts.maxConnections ?? 10,
      opts.applicationName ?? "commandpost",
      opts.onQuery,
    );
  return openPglite(opts.dataDir, opts.onQuery);
}

async function openPostgres(
  url: string,
  max: number,
  appName: string,
  onQuery: ((text: string) => void) | undefined,
): Promise<Database> {
  const client = postgres(url, {
    max,
    onnotice: () => {},
    ...(onQuery && { debug: (_conn: number, text: string) => onQuery(text) }),
    connection: {
      application_name: appName,
      // The hot paths use prepared statements (db/statement.ts). After five runs Postgres
      // may switch one to a generic plan, chosen without the parameters' values: a plan
      // for `id = any($1)` that scans the whole table when the table looked empty at the
      // time. Custom plans keep planning with the values, as unnamed statements are;
      // parsing is still saved (PostgreSQL manual, PREPARE and plan_cache_mode).
      plan_cache_mode: "force_custom_plan",
    },
  });
  const db = drizzlePostgres(client, { schema });
  // Two replicas starting together must not both migrate: hold an advisory lock meanwhile.
  const lock = await client.reserve();
  try {
    await lock`select pg_advisory_lock(7262001)`;
    await migratePostgres(db, { migrationsFolder: MIGRATIONS });
  } finally {
    await lock`select pg_advisory_unlock(7262001)`;
    lock.release();
  }
  let closed = false;
  return {
    db: db as unknown as Db,
    kind: "postgres",
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await client.end({ timeout: 5 });
    },
    coordination: {
      openSession: () => openSession(url, appName),
      listen: async (channel, onPayload, onListen) => {
        const req = await client.listen(channel, onPayload, onListen);
        return () => req.unlisten();
      },
    },
  };
}

function openSession(url: string, appName: string): CoordinationSession {
  const session = postgres(url, {
    max: 1,
    max_lifetime: null,
    idle_timeout: 0,
    onnotice: () => {},
    connection: {
      application_name: appName,
      // Server side: notice a peer that vanished (host down, network cut) in ~11 s.
      tcp_keepalives_idle: 5,
      tcp_keepalives_interval: 2,
      tcp_keepalives_count: 3,
    },
  });
  let closed = false;
  return {
    query: async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
      (await session.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as T[],
    close: async () => {
      if (closed) return;
      closed = true;
      await session.end({ timeout: 2 });
    },
  };
}

/**
 * Runs initdb for a new PGlite directory in a child process (db/pglite-init.ts) and waits
 * for it. Resolves false when the child could not do it; the caller then initialises in
 * process, as PGlite does on its own.
 */
function initPgliteInChild(dir: string): Promise<boolean> {
  const here = fileURLToPath(import.meta.url);
  const compiled = here.endsWith(".js");
  const script = join(dirname(here), compiled ? "pglite-init.js" : "pglite-init.ts");
  const args = compiled ? [script, dir] : ["--import", "tsx", script, dir];
  return new Promise((done) => {
    const child = spawn(process.execPath, args, {
      cwd: resolve(dirname(here), ".."),
      stdio: ["ignore", "ignore", "inherit"],
    });
    child.once("error", () => done(false));
    child.once("exit", (code) => done(code === 0));
  });
}

async function openPglite(
  dataDir: string | undefined,
  onQuery: ((text: string) => void) | undefined,
): Promise<Database> {
  let release = () => {};
  let pg: PGlite;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    release = takeLock(join(dataDir, "pglite.lock"));
    const dir = join(dataDir, "pglite");
    // First boot: initdb and the first migration grow the WebAssembly memory of whoever
    // runs them; a child gives that memory back when it exits.
    if (!existsSync(join(dir, "PG_VERSION"))) await initPgliteInChild(dir);
    pg = new PGlite(dir, pgliteOptions());
  } else {
    pg = new PGlite(pgliteOptions());
  }
  await pg.waitReady;
  const db = drizzlePglite(pg, {
    schema,
    ...(onQuery && { logger: { logQuery: (text: string) => onQuery(text) } }),
  });
  await migratePglite(db, { migrationsFolder: MIGRATIONS });
  let closed = false;
  return {
    db: db as unknown as Db,
    kind: "pglite",
    ping: async () => {
      await pg.query("select 1");
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pg.close();
      release();
    },
  };
}

/**
 * PGlite does not lock its directory against a second process: take a
 * lock file holding our pid; a stale file whose pid is gone is taken over.
 */
function takeLock(path: string): () => void {
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(path, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(readFileSync(path, "utf8"));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(`data directory is in use by process ${pid} (${path})`);
      }
      unlinkSync(path);
    }
  }
  throw new Error(`cannot lock ${path}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { type Database, openDatabase } from "../../db/client.ts";

/** A fresh, empty Postgres database on the `TEST_DATABASE_URL` server. */
export interface FreshPostgres {
  /** Its connection string. */
  url: string;
  /** A migrated handle on it, as a replica would open it (its own pool, `applicationName`). */
  open(applicationName?: string): Promise<Database>;
  /** SQL on it as an outsider (the test's view): `sql\`select …\``. */
  sql: postgres.Sql;
  /** Drops the database (terminating whatever is still connected). */
  drop(): Promise<void>;
}

/**
 * Creates a database for one suite when `TEST_DATABASE_URL` is set, else undefined (the
 * suite then skips: PGlite cannot be shared between processes). Migrated unless
 * `migrate: false`.
 */
export async function freshPostgres(
  prefix = "cp_rep",
  opts: { migrate?: boolean } = {},
): Promise<FreshPostgres | undefined> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return undefined;
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  const url = u.toString();
  // Migrate once, so handles opened later (and processes) start on a ready schema; or leave
  // it empty for a process to migrate.
  if (opts.migrate !== false) await (await openDatabase({ url, maxConnections: 2 })).close();
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  const opened: Database[] = [];
  return {
    url,
    sql,
    async open(applicationName) {
      const d = await openDatabase({ url, maxConnections: 5, applicationName });
      opened.push(d);
      return d;
    },
    async drop() {
      for (const d of opened) await d.close().catch(() => {});
      await sql.end({ timeout: 1 });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

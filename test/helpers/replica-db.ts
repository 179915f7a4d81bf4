import postgres from "postgres";
import { type Database, openDatabase } from "../../db/client.ts";
import { freshPostgres } from "./db.ts";

/** A fresh, migrated Postgres database that several replicas (processes or handles) share. */
export interface ReplicaDatabase {
  /** Its connection string. */
  url: string;
  /** A migrated handle on it, as a replica would open it (its own pool, `applicationName`). */
  open(applicationName?: string): Promise<Database>;
  /** SQL on it as an outsider (the test's view): `sql\`select …\``. */
  sql: postgres.Sql;
  /** Closes the handles and drops the database. */
  drop(): Promise<void>;
}

/**
 * Creates and migrates a database for one suite when `TEST_DATABASE_URL` is set, else
 * undefined (the suite then skips: PGlite cannot be shared between processes).
 */
export async function replicaDatabase(prefix: string): Promise<ReplicaDatabase | undefined> {
  const fresh = await freshPostgres(prefix);
  if (!fresh) return undefined;
  const { url } = fresh;
  // Migrated once, so handles opened later (and processes) start on a ready schema.
  await (await openDatabase({ url, maxConnections: 2 })).close();
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
      await fresh.drop();
    },
  };
}

import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { type Database, openDatabase } from "../../db/client.ts";

/** A database the integration suites run against. */
export interface TestDatabaseKind {
  name: "pglite" | "postgres";
  /** Opens a fresh, migrated, empty database; closing it drops it. */
  open(): Promise<Database>;
}

/**
 * PGlite (in memory) always; real Postgres too when `TEST_DATABASE_URL` is set. Each open
 * on Postgres creates its own database so suites never see each other's rows.
 */
export function testDatabases(): TestDatabaseKind[] {
  const kinds: TestDatabaseKind[] = [{ name: "pglite", open: () => openDatabase({}) }];
  const url = process.env.TEST_DATABASE_URL;
  if (url) kinds.push({ name: "postgres", open: () => openFreshPostgres(url) });
  return kinds;
}

async function openFreshPostgres(url: string): Promise<Database> {
  const name = `cp_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const db = await openDatabase({ url: u.toString(), maxConnections: 5 });
  return {
    ...db,
    close: async () => {
      await db.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/**
 * A fresh, empty Postgres database for a separate process when TEST_DATABASE_URL is set
 * (`prefix` + random suffix); `drop` removes it. Undefined without TEST_DATABASE_URL.
 */
export async function freshPostgres(
  prefix: string,
): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return undefined;
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

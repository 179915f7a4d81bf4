/**
 * Creates a PGlite data directory (Postgres's initdb, in WebAssembly), applies the
 * migrations and exits: run as a child process by db/client.ts on a first boot, so the
 * memory initdb and the first migration take (several hundred MB, then tens) is returned to
 * the system when it exits instead of staying in the serving process (a WebAssembly memory
 * never shrinks). The serving process then opens a current database, as on a restart.
 * Usage: `node db/pglite-init.js <data dir>`.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { pgliteOptions } from "./pglite-options.ts";

const dir = process.argv[2];
if (!dir) {
  process.stderr.write("usage: pglite-init <data dir>\n");
  process.exit(2);
}
const pg = new PGlite(dir, pgliteOptions());
await pg.waitReady;
await migrate(drizzle(pg), {
  migrationsFolder: resolve(dirname(fileURLToPath(import.meta.url)), "migrations"),
});
await pg.close();

/**
 * Creates a PGlite data directory (Postgres's initdb, in WebAssembly) and exits: run as a
 * child process by db/client.ts on a first boot, so the several hundred MB initdb takes are
 * returned to the system when it exits instead of staying in the serving process (a
 * WebAssembly memory never shrinks). Usage: `node db/pglite-init.js <data dir>`.
 */
import { PGlite } from "@electric-sql/pglite";
import { pgliteOptions } from "./pglite-options.ts";

const dir = process.argv[2];
if (!dir) {
  process.stderr.write("usage: pglite-init <data dir>\n");
  process.exit(2);
}
const pg = new PGlite(dir, pgliteOptions());
await pg.waitReady;
await pg.close();

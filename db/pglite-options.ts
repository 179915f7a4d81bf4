import { PGlite } from "@electric-sql/pglite";

/**
 * PGlite's server settings: its defaults plus a smaller buffer cache. PGlite's WebAssembly
 * memory only grows, and Postgres's 128 MB `shared_buffers` (initdb's default) fills it as
 * pages are read; one process with a few connections' worth of data needs far less.
 * Env `PGLITE_SHARED_BUFFERS` overrides (a Postgres size, e.g. `64MB`).
 */
export function pgliteOptions(): { startParams?: string[] } {
  const buffers = process.env.PGLITE_SHARED_BUFFERS?.trim() || "16MB";
  const defaults = (PGlite as unknown as { defaultStartParams?: string[] }).defaultStartParams;
  return defaults ? { startParams: [...defaults, "-c", `shared_buffers=${buffers}`] } : {};
}

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The Mini App's sources: web/dashboard (TypeScript for the browser, HTML, CSS). */
export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../web/dashboard");

/** One static file of the Mini App, ready to serve. */
export interface Asset {
  body: string;
  contentType: string;
  /** Strong validator: SHA-256 of the body. */
  etag: string;
}

/** The files under `/app/`. */
export interface AppAssets {
  "index.html": Asset;
  "app.js": Asset;
  "app.css": Asset;
}

const asset = (body: string, contentType: string): Asset => ({
  body,
  contentType,
  etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
});

/**
 * Bundles web/dashboard/main.ts with its npm dependencies (Chart.js) into one script with
 * esbuild, in memory: nothing is fetched from a CDN and no build step precedes `npm start`.
 * Targets ES2022 (Chrome 94, Safari 15.4, Firefox 93 and later: Telegram's in-app webviews).
 * @throws the esbuild error when the sources do not compile.
 */
export async function buildAssets(webDir = WEB_DIR): Promise<AppAssets> {
  // Loaded on the first dashboard request only: most processes never serve it.
  const { build } = await import("esbuild");
  const out = await build({
    entryPoints: [join(webDir, "main.ts")],
    bundle: true,
    write: false,
    format: "iife",
    minify: true,
    target: "es2022",
    legalComments: "eof",
    logLevel: "silent",
  });
  const js = out.outputFiles[0]?.text;
  if (js === undefined) throw new Error("esbuild produced no bundle");
  return {
    "index.html": asset(
      await readFile(join(webDir, "index.html"), "utf8"),
      "text/html; charset=utf-8",
    ),
    "app.js": asset(js, "text/javascript; charset=utf-8"),
    "app.css": asset(await readFile(join(webDir, "app.css"), "utf8"), "text/css; charset=utf-8"),
  };
}

/** Builds the assets once, on first use; a failed build is retried on the next call. */
export function lazyAssets(webDir = WEB_DIR): () => Promise<AppAssets> {
  let pending: Promise<AppAssets> | undefined;
  return () => {
    pending ??= buildAssets(webDir).catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

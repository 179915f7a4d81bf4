/**
 * `npm run build`: compiles the server (src, commands, flows, db and the key-rotation
 * script, per tsconfig.build.json) to JavaScript in `dist/`, with `.ts` import specifiers
 * rewritten to `.js`, and copies what the compiled code reads beside it: `db/migrations`
 * (next to the database client), `package.json` (the version, src/build-info.ts) and the
 * dashboard's sources `web/` (bundled at run time, src/dashboard/assets.ts), so
 * `node dist/src/main.js` runs without tsx. Type-checks while emitting unless `--no-check`.
 *
 * Options: `--no-check` (emit only, about 4× faster; `npm test` and the image type-check
 * anyway), `--if-stale` (do nothing when the output is newer than every input: what
 * `npm start` runs first, so a start after an unchanged build costs a few milliseconds),
 * `--out-dir <dir>` (default `dist`). Exits non-zero when tsc fails. Works offline.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
/** Inputs whose change makes the build stale. */
const INPUTS = [
  "src",
  "commands",
  "flows",
  "db",
  "web",
  "scripts/rotate-encryption-key.ts",
  "tsconfig.json",
  "tsconfig.build.json",
  "package.json",
  "package-lock.json",
];
const STAMP = ".build-stamp";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Newest modification time (ms) under `path`, a file or a directory. */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

const outDir = resolve(ROOT, option("--out-dir") ?? "dist");
const stamp = join(outDir, STAMP);
const inputsChanged = Math.max(...INPUTS.map((p) => newest(join(ROOT, p))));
if (
  process.argv.includes("--if-stale") &&
  existsSync(stamp) &&
  statSync(stamp).mtimeMs > inputsChanged
)
  process.exit(0);

const started = Date.now();
rmSync(outDir, { recursive: true, force: true });
const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const check = process.argv.includes("--no-check") ? ["--noCheck"] : [];
try {
  execFileSync(
    process.execPath,
    [tsc, "-p", join(ROOT, "tsconfig.build.json"), "--outDir", outDir, ...check],
    { cwd: ROOT, stdio: "inherit" },
  );
} catch {
  process.stderr.write("build: tsc failed\n");
  process.exit(1);
}
cpSync(join(ROOT, "db", "migrations"), join(outDir, "db", "migrations"), { recursive: true });
cpSync(join(ROOT, "web"), join(outDir, "web"), { recursive: true });
cpSync(join(ROOT, "package.json"), join(outDir, "package.json"));
writeFileSync(stamp, `${new Date().toISOString()}\n`);
process.stderr.write(
  `build: ${relative(ROOT, outDir) || "."} in ${((Date.now() - started) / 1000).toFixed(1)} s${check.length ? " (not type-checked)" : ""}\n`,
);

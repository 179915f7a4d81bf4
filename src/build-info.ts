import { readFileSync } from "node:fs";

/**
 * The version in package.json (read once at start), or npm's `npm_package_version`, or
 * "unknown" when neither can be read (a relocated build).
 */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    if (typeof pkg.version === "string") return pkg.version;
  } catch {
    /* fall through */
  }
  return process.env.npm_package_version ?? "unknown";
}

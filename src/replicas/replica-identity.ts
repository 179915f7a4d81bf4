import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ulid } from "ulid";

/** Who this process is among the replicas on one database (docs/operations.md, Scaling out). */
export interface ReplicaIdentity {
  /** A ULID drawn at start: unique even for two containers that are both `pid 1`. */
  id: string;
  host: string;
  pid: number;
  /** `COMMANDPOST_VERSION` when set (an image tag, a git sha), else package.json's version. */
  version: string;
  startedAt: Date;
}

/** Builds this process's identity. `startedAt` is the app's start time (its clock). */
export function createReplicaIdentity(startedAt: Date): ReplicaIdentity {
  return {
    id: ulid(),
    host: hostname(),
    pid: process.pid,
    version: process.env.COMMANDPOST_VERSION?.trim() || packageVersion(),
    startedAt,
  };
}

/** The version in the nearest package.json above this file (works from src/ and a build). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "commandpost" && pkg.version) return pkg.version;
    } catch {
      /* not here: look one level up */
    }
    dir = dirname(dir);
  }
  return "unknown";
}

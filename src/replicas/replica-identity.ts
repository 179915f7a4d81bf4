import { hostname } from "node:os";
import { packageVersion } from "../build-info.ts";
import { ulid } from "../ids.ts";

/** Who this process is among the replicas on one database (docs/operations.md, Scaling out). */
export interface ReplicaIdentity {
  /** A ULID drawn at start: unique even for two containers that are both `pid 1`. */
  id: string;
  host: string;
  pid: number;
  /** package.json's version, with the source revision when known: `0.1.0+3f2a9c1`. */
  version: string;
  startedAt: Date;
}

/**
 * Builds this process's identity. `startedAt` is the app's start time (its clock);
 * `revision` is `COMMANDPOST_REVISION` ("unknown" when unset).
 */
export function createReplicaIdentity(startedAt: Date, revision = "unknown"): ReplicaIdentity {
  const version = packageVersion();
  return {
    id: ulid(),
    host: hostname(),
    pid: process.pid,
    version: revision && revision !== "unknown" ? `${version}+${revision}` : version,
    startedAt,
  };
}

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN_TOKEN, call, ENCRYPTION_KEY, INGEST_TOKEN } from "./app.ts";
import { waitFor } from "./sender.ts";
import { freePort } from "./telegram.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/** One commandpost process, as a replica of a multi-replica test. */
export interface ReplicaProcess {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  /** Its log lines (pino JSON, parsed), in order. */
  logs: Record<string, unknown>[];
  /** Resolves with the exit code (null after a signal). */
  exited: Promise<number | null>;
  /** The replica id it registered (from `GET /api/admin/replicas`). */
  id: string;
}

/** Variables every replica of a test gets (tokens as in test/helpers/app.ts). */
export function replicaEnv(databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    ADMIN_TOKEN,
    INGEST_TOKEN,
    ENCRYPTION_KEY,
    LOG_LEVEL: "info",
    SCHEDULER_ENABLED: "false",
    REPLICA_RENEW_S: "1",
  };
}

/**
 * Spawns `node --import tsx src/main.ts` with `env` on a free port, waits until it answers
 * `/healthz` and lists itself in `/api/admin/replicas`. Its DATA_DIR is a fresh directory,
 * removed when it exits.
 */
export async function startReplica(
  name: string,
  env: Record<string, string>,
): Promise<ReplicaProcess> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `cp-${name}-`));
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ...env,
      PORT: String(port),
      DATA_DIR: dataDir,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  let rest = "";
  child.stdout?.on("data", (d: Buffer) => {
    const lines = (rest + d.toString("utf8")).split("\n");
    rest = lines.pop() ?? "";
    for (const l of lines) {
      try {
        logs.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        logs.push({ msg: l });
      }
    }
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      rmSync(dataDir, { recursive: true, force: true });
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  const self = await waitFor(
    async () => {
      if (dead) throw new Error(`replica ${name} exited: ${stderr.slice(-500)}`);
      const r = await call(`${url}/api/admin/replicas`, { token: ADMIN_TOKEN }).catch(() => null);
      return r?.status === 200 ? (r.body.self as string | undefined) : undefined;
    },
    45_000,
    `replica ${name} to start`,
  );
  return { name, port, url, child, logs, exited, id: self as string };
}

/** Kills every replica still running (SIGKILL) and waits for them. */
export async function killAll(replicas: readonly ReplicaProcess[]): Promise<void> {
  for (const r of replicas) if (r.child.exitCode === null) r.child.kill("SIGKILL");
  await Promise.all(replicas.map((r) => r.exited));
}

/** The id of the live replica holding `role`, as `r` reports it (null: none right now). */
export async function roleHolder(
  r: ReplicaProcess,
  role: "telegram" | "watchdog",
): Promise<string | null> {
  const res = await call(`${r.url}/api/admin/replicas`, { token: ADMIN_TOKEN });
  return (res.body?.roles?.[role] as string | null) ?? null;
}

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN_TOKEN, call } from "../helpers/app.ts";
import { type ReplicaDatabase, replicaDatabase } from "../helpers/replica-db.ts";
import {
  killAll,
  type ReplicaProcess,
  replicaEnv,
  startReplica,
} from "../helpers/replica-process.ts";
import { waitFor } from "../helpers/sender.ts";
import { startTestUpstream, type TestUpstream } from "../helpers/upstream.ts";

const onPostgres = { skip: !process.env.TEST_DATABASE_URL && "TEST_DATABASE_URL unset" };
const MODEL = "llama-shared";

/** Polls `check` until it holds; returns the ms it took, failing past 1 s (plus slack). */
async function within1s(what: string, check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  await waitFor(check, 3000, what);
  const ms = Date.now() - t0;
  assert.ok(ms <= 1000, `${what}: took ${ms} ms`);
  return ms;
}

const admin = (r: ReplicaProcess, path: string, init: Parameters<typeof call>[1] = {}) =>
  call(`${r.url}${path}`, { token: ADMIN_TOKEN, ...init });

/** Completions the upstream received (health probes, `GET /models`, left out). */
const completions = (u: TestUpstream) =>
  u.received.filter((q) => q.path.endsWith("/chat/completions")).length;

const ask = (r: ReplicaProcess, key: string, model = MODEL) =>
  call(`${r.url}/v1/chat/completions`, {
    token: key,
    body: { model, messages: [{ role: "user", content: "hi" }] },
  });

describe("proxy state shared by replicas", onPostgres, () => {
  let pg: ReplicaDatabase;
  let upstream: TestUpstream;
  const replicas: ReplicaProcess[] = [];
  let env: Record<string, string>;
  const timings: Record<string, number> = {};

  before(async () => {
    pg = (await replicaDatabase("cp_px")) as ReplicaDatabase;
    upstream = await startTestUpstream();
    // No wait queue: a request finding the backend cooling is answered 503 at once.
    env = { ...replicaEnv(pg.url), PROXY_QUEUE_TIMEOUT_S: "0" };
    replicas.push(...(await Promise.all([startReplica("p1", env), startReplica("p2", env)])));
  });
  after(async () => {
    process.stdout.write(`# propagation (ms): ${JSON.stringify(timings)}\n`);
    await killAll(replicas);
    await upstream?.close();
    await pg?.drop();
  });

  it("serves a backend or key added, changed, disabled or revoked on one replica from every replica within 1 s", async () => {
    const [a, b] = replicas as [ReplicaProcess, ReplicaProcess];
    const key = (await admin(b, "/api/admin/agents", { body: { name: "coder" } })).body.key;
    timings.keyCreated = await within1s("the key created on p2 works on p1", async () => {
      return (await call(`${a.url}/v1/models`, { token: key })).status === 200;
    });

    const created = await admin(a, "/api/admin/backends", {
      body: {
        name: "shared-1",
        base_url: upstream.url,
        api_key: "sk-upstream-secret-1234",
        pool: "primary",
        rpm_limit: 6000,
        timeout_ms: 5000,
        models: [{ canonical: MODEL, native: "native-a" }],
      },
    });
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    timings.backendAdded = await within1s("the backend added on p1 is served by p2", async () => {
      return (await ask(b, key)).status === 200;
    });
    assert.equal(upstream.received.at(-1)?.body?.model, "native-a");

    await admin(b, `/api/admin/backends/${id}`, {
      method: "PATCH",
      body: { models: [{ canonical: MODEL, native: "native-b" }] },
    });
    timings.backendChanged = await within1s("the mapping changed on p2 applies on p1", async () => {
      const before = upstream.received.length;
      return (
        (await ask(a, key)).status === 200 && upstream.received[before]?.body?.model === "native-b"
      );
    });

    await admin(b, `/api/admin/backends/${id}`, { method: "PATCH", body: { enabled: false } });
    timings.backendDisabled = await within1s(
      "the backend disabled on p2 is left by p1",
      async () => {
        return (await ask(a, key)).status === 404;
      },
    );
    await admin(a, `/api/admin/backends/${id}`, { method: "PATCH", body: { enabled: true } });
    timings.backendEnabled = await within1s("enabled again on p1, served by p2", async () => {
      return (await ask(b, key)).status === 200;
    });

    const agents = (await admin(a, "/api/admin/agents")).body.agents as { id: string }[];
    await admin(a, `/api/admin/agents/${agents[0]?.id}`, { method: "DELETE" });
    timings.keyRevoked = await within1s("the key revoked on p1 is refused by p2", async () => {
      return (await ask(b, key)).status === 401;
    });
  });

  it("applies a 429 cooldown from one replica on all within 1 s, and keeps it across a restart of all", async () => {
    const [a, b] = replicas as [ReplicaProcess, ReplicaProcess];
    const key = (await admin(a, "/api/admin/agents", { body: { name: "cooler" } })).body.key;
    await waitFor(async () => (await ask(b, key)).status === 200, 3000, "p2 knows the key");
    upstream.behave({ kind: "status", status: 429, headers: { "retry-after": "300" } });
    const hit = await ask(a, key);
    assert.equal(hit.status, 503, "the only backend answered 429");
    timings.cooldownShared = await within1s("p2 holds the cooldown p1 started", async () => {
      const active = (await admin(b, "/api/admin/cooldowns")).body.active as unknown[];
      return active.length === 1;
    });
    const seen = completions(upstream);
    const refused = await ask(b, key);
    assert.equal(refused.status, 503);
    assert.ok(
      Number(refused.headers.get("retry-after")) > 250,
      `Retry-After = the cooldown: ${refused.headers.get("retry-after")} ${JSON.stringify(refused.body)}`,
    );
    assert.equal(completions(upstream), seen, "p2 did not call the cooling backend");

    // Every replica stops; a new one starts on the same database.
    for (const r of [a, b]) r.child.kill("SIGTERM");
    assert.deepEqual(await Promise.all([a.exited, b.exited]), [0, 0]);
    const c = await startReplica("p3", env);
    replicas.push(c);
    const active = (await admin(c, "/api/admin/cooldowns")).body.active as {
      seconds_left: number;
    }[];
    assert.equal(active.length, 1, "the cooldown survived the restart of every replica");
    assert.ok((active[0]?.seconds_left ?? 0) > 250);
    assert.equal((await ask(c, key)).status, 503);
    assert.equal(completions(upstream), seen, "still nothing sent to the cooling backend");
    upstream.behave({ kind: "ok" });
  });
});

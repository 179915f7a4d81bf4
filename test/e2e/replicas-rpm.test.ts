import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { burstOf } from "../../src/proxy/token-bucket.ts";
import { LEASE_MS } from "../../src/replicas/shared-rpm.ts";
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
const RPM = 120;
const RUN_MS = 10_000;

describe("a backend's RPM limit across three replicas", onPostgres, () => {
  let pg: ReplicaDatabase;
  let upstream: TestUpstream;
  const replicas: ReplicaProcess[] = [];

  before(async () => {
    pg = (await replicaDatabase("cp_rpm")) as ReplicaDatabase;
    upstream = await startTestUpstream();
    // A request without a token waits up to 2 s in the proxy's queue, then gets a 503.
    const env = { ...replicaEnv(pg.url), PROXY_QUEUE_TIMEOUT_S: "2" };
    replicas.push(...(await Promise.all(["r1", "r2", "r3"].map((n) => startReplica(n, env)))));
  });
  after(async () => {
    await killAll(replicas);
    await upstream?.close();
    await pg?.drop();
  });

  it("lets through what one bucket allows, whatever the number of replicas", async () => {
    const [a] = replicas as [ReplicaProcess];
    await call(`${a.url}/api/admin/backends`, {
      token: ADMIN_TOKEN,
      body: {
        name: "limited",
        base_url: upstream.url,
        api_key: "sk-upstream-secret-1234",
        pool: "primary",
        rpm_limit: RPM,
        timeout_ms: 5000,
        models: [{ canonical: "m", native: "native-m" }],
      },
    });
    const key = (
      await call(`${a.url}/api/admin/agents`, { token: ADMIN_TOKEN, body: { name: "load" } })
    ).body.key as string;
    for (const r of replicas) {
      await waitFor(
        async () => (await call(`${r.url}/v1/models`, { token: key })).body?.data?.length === 1,
        3000,
        "backend known",
      );
    }

    const start = Date.now();
    const answers = new Map<number, number>();
    // Three clients per replica ask as fast as they are answered (a 503 waits 50 ms).
    await Promise.all(
      replicas.flatMap((r) =>
        Array.from({ length: 3 }, async () => {
          while (Date.now() - start < RUN_MS) {
            const res = await call(`${r.url}/v1/chat/completions`, {
              token: key,
              body: { model: "m", messages: [{ role: "user", content: "hi" }] },
            });
            answers.set(res.status, (answers.get(res.status) ?? 0) + 1);
            if (res.status !== 200) await new Promise((w) => setTimeout(w, 50));
          }
        }),
      ),
    );
    const times = upstream.received
      .filter((q) => q.path.endsWith("/chat/completions") && q.at >= start)
      .map((q) => q.at)
      .sort((x, y) => x - y);
    // The most upstream requests in any RUN_MS span (queued requests go on after the run).
    let sent = 0;
    for (let hi = 0, lo = 0; hi < times.length; hi++) {
      while ((times[hi] as number) - (times[lo] as number) >= RUN_MS) lo++;
      sent = Math.max(sent, hi - lo + 1);
    }
    const most = burstOf(RPM) + (RPM / 60_000) * (RUN_MS + LEASE_MS);
    const least = burstOf(RPM) + (RPM / 60_000) * RUN_MS * 0.8;
    process.stdout.write(
      `# RPM ${RPM}, 3 replicas, ${RUN_MS / 1000} s: at most ${sent} upstream requests in any ${RUN_MS / 1000} s, ${times.length} in all (bound ${most}; one replica alone ${burstOf(RPM) + (RPM / 60) * (RUN_MS / 1000)}); answers ${JSON.stringify(Object.fromEntries(answers))}\n`,
    );
    assert.ok(sent <= most, `${sent} upstream requests in ${RUN_MS} ms ≤ ${most}`);
    assert.ok(sent >= least, `${sent} upstream requests: the limit is used (≥ ${least})`);
    assert.equal(answers.get(200), times.length, "every request sent upstream was answered 200");
    assert.ok((answers.get(503) ?? 0) > 0, "the rest waited in the queue, then got a 503");
  });
});

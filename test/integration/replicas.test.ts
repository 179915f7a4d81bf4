import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "drizzle-orm";
import { type Database, openDatabase } from "../../db/client.ts";
import { createUpdateLedger, updateDigest } from "../../src/bot/update-ledger.ts";
import { createOutboxRepository } from "../../src/outbox/outbox-repository.ts";
import type { RuntimeBackend } from "../../src/proxy/backend-service.ts";
import { burstOf } from "../../src/proxy/token-bucket.ts";
import { createChangeFeed } from "../../src/replicas/change-feed.ts";
import { createMembership } from "../../src/replicas/membership.ts";
import { createReplicaIdentity } from "../../src/replicas/replica-identity.ts";
import { createReplicaModule } from "../../src/replicas/replica-module.ts";
import { createRoleElector, type Role } from "../../src/replicas/role-elector.ts";
import { createSharedRpmLimiter, LEASE_MS } from "../../src/replicas/shared-rpm.ts";
import { testLogger } from "../helpers/logger.ts";
import { type ReplicaDatabase, replicaDatabase } from "../helpers/replica-db.ts";
import { waitFor } from "../helpers/sender.ts";

const onPostgres = { skip: !process.env.TEST_DATABASE_URL && "TEST_DATABASE_URL unset" };

/** An elector wanting both roles, counting what it was told. */
function elector(database: Database) {
  const events: string[] = [];
  const e = createRoleElector({
    coordination: database.coordination,
    logger: testLogger,
    checkMs: 200,
  });
  for (const role of ["telegram", "watchdog"] as Role[]) {
    e.want(role, {
      onAcquire: () => void events.push(`+${role}`),
      onRelease: () => void events.push(`-${role}`),
    });
  }
  return { e, events };
}

describe("replica coordination on one Postgres", onPostgres, () => {
  let pg: ReplicaDatabase;
  before(async () => {
    pg = (await replicaDatabase("cp_rep")) as ReplicaDatabase;
  });
  after(() => pg?.drop());

  it("gives each role to one replica; another takes it within a check when the holder's session dies", async (t) => {
    const a = elector(await pg.open("ra"));
    const b = elector(await pg.open("rb"));
    // A failed assertion must not leave the roles held for the next test (stop is idempotent).
    t.after(() => Promise.all([a.e.stop(), b.e.stop()]));
    await a.e.start();
    await b.e.start();
    assert.deepEqual(a.e.held(), ["telegram", "watchdog"]);
    assert.deepEqual(b.e.held(), [], "the second replica waits");
    const locks =
      await pg.sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = 7262016 and granted
        and database = (select oid from pg_database where datname = current_database())`;
    assert.equal(locks[0]?.n, 2, "one lock per role on the server");

    // The holder dies: the server drops its session (as on SIGKILL) and it never checks again.
    const diedAt = Date.now();
    await pg.sql`select pg_terminate_backend(${a.e.sessionPid()})`;
    await a.e.stop();
    await waitFor(() => b.e.held().length === 2, 3000, "the other replica takes both roles");
    const takeover = Date.now() - diedAt;
    assert.ok(takeover < 1500, `taken over in ${takeover} ms`);
    assert.deepEqual(b.events, ["+telegram", "+watchdog"]);
    assert.deepEqual(a.events, ["+telegram", "+watchdog", "-telegram", "-watchdog"]);
    await b.e.stop();
    assert.deepEqual(b.events.slice(2), ["-telegram", "-watchdog"], "released on stop");
  });

  it("lists live replicas with their roles and drops one that missed three renewals", async () => {
    const db = await pg.open("rm");
    const roles = elector(db);
    await roles.e.start();
    const mk = (d: Database, held: () => Role[], pid: () => number | null) =>
      createMembership({
        db: d.db,
        identity: createReplicaIdentity(new Date()),
        logger: testLogger,
        renewMs: 200,
        roles: held,
        sessionPid: pid,
        shared: true,
      });
    const one = mk(
      db,
      () => roles.e.held(),
      () => roles.e.sessionPid(),
    );
    const two = mk(
      await pg.open("rm2"),
      () => [],
      () => null,
    );
    await one.register();
    await two.register();
    one.start();
    two.start();
    const listing = await one.list();
    assert.equal(listing.replicas.length, 2);
    const self = listing.replicas.find((r) => r.self);
    assert.deepEqual(self?.roles, ["telegram", "watchdog"], "roles read from pg_locks");
    assert.equal(listing.holders.telegram, self?.id);
    // `two` stops renewing without leaving (a crash): gone after 3 × 200 ms.
    const quietAt = Date.now();
    await two.stop().catch(() => {});
    await pg.sql`insert into replicas (id, host, pid, version, started_at, last_seen_at, renew_ms)
      values ('crashed', 'h', 1, 'v', now(), now(), 200)`;
    await waitFor(
      async () => (await one.list()).replicas.every((r) => r.id !== "crashed"),
      3000,
      "the silent replica is gone",
    );
    const gone = Date.now() - quietAt;
    assert.ok(gone >= 550, `gone after ${gone} ms, not before three renewals`);
    await one.stop();
    await roles.e.stop();
  });

  it("tells the other replicas of a change at commit, not the writer; the version poll catches one never notified", async () => {
    const writer = await pg.open("rw");
    const reader = await pg.open("rr");
    const heard: string[] = [];
    const feed = createChangeFeed({
      db: reader.db,
      coordination: reader.coordination,
      replicaId: "rr",
      logger: testLogger,
      pollMs: 300,
    });
    feed.on("mutes", () => void heard.push("mutes"));
    feed.on("agent_states", (c) => void heard.push(c.all ? "agents:all" : [...c.keys].join()));
    await feed.start();
    await waitFor(() => heard.length >= 2, 2000, "the start reloads every topic once");
    heard.length = 0;
    const before = await feed.version("mutes");
    const t0 = Date.now();
    await writer.db.execute(
      sql`insert into mutes (id, matchers, starts_at, ends_at, created_by, reason, created_at) values ('m1', '[]', now(), now() + interval '1 hour', 'x', 'y', now())`,
    );
    await waitFor(() => heard.includes("mutes"), 1000, "the reader hears the mute");
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(await feed.version("mutes"), before + 1);
    await writer.db.execute(
      sql`insert into agent_states (name, class, status, last_beat_at, updated_at) values ('bot-7', 'development', 'working', now(), now())`,
    );
    await waitFor(() => heard.includes("bot-7"), 1000, "a row change names its key");

    heard.length = 0;
    await reader.db.execute(sql`update mutes set reason = 'z'`);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(heard.length, 0, "its own change is not echoed back, nor polled again");

    heard.length = 0;
    await pg.sql`update change_versions set version = version + 1 where topic = 'mutes'`;
    await waitFor(() => heard.includes("mutes"), 2000, "a change never notified is polled");
    await feed.stop();
  });

  it("keeps a backend's RPM limit across three replicas: together they stay within one bucket", async () => {
    await pg.sql`insert into backends (id, name, base_url, api_key_enc, api_key_hint, pool, rpm_limit, timeout_ms, created_at, updated_at)
      values ('b-rpm', 'rpm', 'http://x', 'k', 'k', 'primary', 600, 1000, now(), now())`;
    const backend = { id: "b-rpm", rpmLimit: 600 } as RuntimeBackend;
    const limiters = await Promise.all(
      ["l1", "l2", "l3"].map(async (n) =>
        createSharedRpmLimiter({
          db: (await pg.open(n)).db,
          logger: testLogger,
          replicaCount: () => 3,
        }),
      ),
    );
    const runMs = 3000;
    const end = Date.now() + runMs;
    const granted = [0, 0, 0];
    await Promise.all(
      limiters.flatMap((l, i) =>
        Array.from({ length: 4 }, async () => {
          while (Date.now() < end) {
            const g = await l.take(backend, Date.now());
            if (g.ok) granted[i] = (granted[i] ?? 0) + 1;
            else await new Promise((r) => setTimeout(r, Math.min(50, g.readyInMs)));
          }
        }),
      ),
    );
    const total = granted.reduce((a, b) => a + b, 0);
    const rate = 600 / 60_000;
    const most = burstOf(600) + rate * (runMs + LEASE_MS);
    assert.ok(total <= most, `${total} granted (${granted}) ≤ ${most}`);
    assert.ok(total >= burstOf(600) + rate * runMs * 0.8, `${total} granted: the limit is used`);
    assert.ok(
      granted.every((g) => g > 0),
      `every replica was served: ${granted}`,
    );
  });

  it("settles a delivery only while its claim holds: a late answer to an expired claim changes nothing", async () => {
    const db = (await pg.open("ro")).db;
    const outbox = createOutboxRepository(db);
    const t0 = new Date("2026-11-23T00:00:00Z");
    await outbox.enqueue({ chatId: 7, text: "hi", dedupKey: "late-1" }, t0);
    const [mine] = await outbox.claim({ workerId: "a", now: t0, leaseMs: 1000, limit: 5 });
    assert.ok(mine);
    const later = new Date(t0.getTime() + 2000);
    const [theirs] = await outbox.claim({ workerId: "b", now: later, leaseMs: 1000, limit: 5 });
    assert.equal(theirs?.id, mine.id, "the lease ran out: another worker claims the row");
    assert.equal(await outbox.markSent(mine, 11, later), false, "the first worker's answer");
    assert.equal(await outbox.retryLater(mine, later, "x", { countAttempt: true }), false);
    assert.equal(await outbox.markDead(mine, "x"), false);
    const row = await outbox.get(mine.id);
    assert.equal(row?.status, "sending");
    assert.equal(row?.lockedBy, "b");
    assert.equal(row?.attempts, 0);
    // The same worker claiming again (after its own lease ran out) is a new claim too.
    const again = new Date(t0.getTime() + 4000);
    const [second] = await outbox.claim({ workerId: "b", now: again, leaseMs: 1000, limit: 5 });
    assert.equal(await outbox.markSent(theirs as never, 12, again), false, "an older claim");
    assert.equal(await outbox.markSent(second as never, 13, again), true);
    assert.equal((await outbox.get(mine.id))?.telegramMessageId, 13);
  });

  it("takes each bot update once, whichever replica sees it", async () => {
    const now = new Date();
    const one = createUpdateLedger({ db: (await pg.open("u1")).db, replicaId: "u1" });
    const two = createUpdateLedger({ db: (await pg.open("u2")).db, replicaId: "u2" });
    const update = { update_id: 500, message: { message_id: 9, text: "/status" } };
    const digest = updateDigest(update);
    const results = await Promise.all([one.take(500, digest, now), two.take(500, digest, now)]);
    assert.deepEqual(results.sort(), [false, true]);
    assert.equal(await one.take(501, updateDigest({ ...update, update_id: 501 }), now), true);
    const reused = updateDigest({ ...update, message: { message_id: 9, text: "/help" } });
    assert.equal(await two.take(500, reused, now), true, "an id reused for other content");
    assert.equal(await one.pruneBefore(new Date(now.getTime() + 1)), 3);
  });
});

describe("a single process on PGlite", () => {
  it("holds every role and lists itself alone", async () => {
    const database = await openDatabase({});
    const r = createReplicaModule({
      database,
      identity: createReplicaIdentity(new Date()),
      logger: testLogger,
      renewMs: 1000,
    });
    const started: string[] = [];
    r.elector.want("watchdog", {
      onAcquire: () => void started.push("watchdog"),
      onRelease: () => {},
    });
    await r.start();
    await r.setPort(8080);
    assert.deepEqual(started, ["watchdog"]);
    const { replicas, holders } = await r.list();
    assert.equal(replicas.length, 1);
    assert.equal(replicas[0]?.self, true);
    assert.equal(replicas[0]?.port, 8080);
    assert.equal(holders.watchdog, replicas[0]?.id);
    assert.equal(r.limiter, undefined, "the RPM limit stays in memory");
    await r.stop();
    await database.close();
  });
});

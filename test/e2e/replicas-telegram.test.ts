import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { type BotApiRelay, startBotApiRelay } from "../helpers/bot-api-relay.ts";
import { type ReplicaDatabase, replicaDatabase } from "../helpers/replica-db.ts";
import {
  killAll,
  type ReplicaProcess,
  replicaEnv,
  roleHolder,
  startReplica,
} from "../helpers/replica-process.ts";
import { type RoundRobin, startRoundRobin } from "../helpers/round-robin.ts";
import { waitFor } from "../helpers/sender.ts";
import {
  BOT_TOKEN,
  botMessages,
  startEmulator,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";

const ADMIN = 7101;
const onPostgres = { skip: !process.env.TEST_DATABASE_URL && "TEST_DATABASE_URL unset" };

/** How many bot messages in the admin's chat match `re`. */
async function count(client: TelegramClient, re: RegExp): Promise<number> {
  return (await botMessages(client, ADMIN)).filter((m) => re.test(m.text)).length;
}

describe("Telegram long polling across replicas", onPostgres, () => {
  let pg: ReplicaDatabase;
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  let relay: BotApiRelay;
  const replicas: ReplicaProcess[] = [];

  before(async () => {
    pg = (await replicaDatabase("cp_tg")) as ReplicaDatabase;
    emulator = await startEmulator(undefined, { allowRateLimited: true });
    relay = await startBotApiRelay({
      emulator: emulator.server,
      emulatorRoot: emulator.apiRoot,
      token: BOT_TOKEN,
      handOutTwice: true,
    });
  });
  after(async () => {
    await killAll(replicas);
    await relay?.close();
    await emulator?.stop();
    await pg?.drop();
  });

  it("one replica polls; after kill -9 another answers within 15 s; no update is handled twice", async () => {
    const env = {
      ...replicaEnv(pg.url),
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_API_ROOT: relay.apiRoot,
      TELEGRAM_ADMIN_IDS: String(ADMIN),
    };
    const a = await startReplica("a", env);
    replicas.push(a);
    const b = await startReplica("b", env);
    replicas.push(b);
    assert.equal(await roleHolder(b, "telegram"), a.id, "the first replica polls");

    const admin = emulator.server.getClient(BOT_TOKEN, {
      userId: ADMIN,
      chatId: ADMIN,
      firstName: "Ada",
      userName: "ada",
    });
    await admin.sendCommand(admin.makeCommand("/status"));
    const status = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes("commandpost status"),
      "/status",
      15_000,
    );
    assert.match(status.text, /Replicas \(2 live\)/);
    assert.match(status.text, /polls Telegram/);
    for (let i = 0; i < 3; i++) await admin.sendCommand(admin.makeCommand("/start"));
    await waitFor(
      async () => (await count(admin, /operations console/)) >= 3,
      15_000,
      "3 × /start",
    );

    // kill -9 the poller; the next command must be answered by the other replica.
    a.child.kill("SIGKILL");
    const killedAt = Date.now();
    await admin.sendCommand(admin.makeCommand("/help"));
    await waitForBotMessage(admin, ADMIN, (m) => /\/incidents/.test(m.text), "/help", 15_000);
    const answeredInMs = Date.now() - killedAt;
    const takenOver = await roleHolder(b, "telegram");
    assert.equal(takenOver, b.id, "the survivor polls");
    assert.ok(answeredInMs < 15_000, `answered ${answeredInMs} ms after the kill`);
    process.stdout.write(`# polling failover: /help answered ${answeredInMs} ms after kill -9\n`);

    for (let i = 0; i < 2; i++) await admin.sendCommand(admin.makeCommand("/start"));
    await waitFor(
      async () => (await count(admin, /operations console/)) >= 5,
      15_000,
      "5 × /start",
    );
    await new Promise((r) => setTimeout(r, 1500)); // time for any second handling to show
    assert.equal(await count(admin, /commandpost status/), 1, "/status answered once");
    assert.equal(await count(admin, /operations console/), 5, "each /start answered once");
    assert.equal(await count(admin, /\/incidents/), 1, "/help answered once");

    const handedOut = [...relay.handedOut().values()];
    assert.equal(handedOut.length, 7, "seven updates");
    assert.ok(
      handedOut.every((n) => n >= 2),
      `every update was fetched at least twice: ${handedOut}`,
    );
    const taken =
      await pg.sql`select replica_id, count(*)::int as n from bot_updates group by replica_id`;
    const byReplica = Object.fromEntries(taken.map((r) => [r.replica_id, r.n]));
    assert.equal(
      Object.values(byReplica).reduce((x: number, y) => x + Number(y), 0),
      7,
      `each update taken once: ${JSON.stringify(byReplica)}`,
    );
    assert.ok(byReplica[a.id] >= 4 && byReplica[b.id] >= 3, JSON.stringify(byReplica));
  });
});

describe("Telegram webhooks across replicas", onPostgres, () => {
  let pg: ReplicaDatabase;
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  let balancer: RoundRobin;
  const replicas: ReplicaProcess[] = [];
  const SECRET = "replica-test-webhook-secret-0123456789";

  before(async () => {
    pg = (await replicaDatabase("cp_wh")) as ReplicaDatabase;
    emulator = await startEmulator(undefined, { allowRateLimited: true });
    balancer = await startRoundRobin([], { "x-telegram-bot-api-secret-token": SECRET });
  });
  after(async () => {
    await killAll(replicas);
    await balancer?.close();
    await emulator?.stop();
    await pg?.drop();
  });

  it("every replica answers updates behind a round-robin balancer", async () => {
    const env = {
      ...replicaEnv(pg.url),
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_API_ROOT: emulator.apiRoot,
      TELEGRAM_ADMIN_IDS: String(ADMIN),
      TELEGRAM_WEBHOOK_URL: `${balancer.url}/telegram/webhook`,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
    };
    const started = await Promise.all([startReplica("w1", env), startReplica("w2", env)]);
    replicas.push(...started);
    balancer.setTargets(started.map((r) => r.url));
    assert.equal(await roleHolder(started[0] as ReplicaProcess, "telegram"), null, "nobody polls");

    const admin = emulator.server.getClient(BOT_TOKEN, {
      userId: ADMIN,
      chatId: ADMIN,
      firstName: "Ada",
      userName: "ada",
    });
    // The emulator numbers an update when it is sent and counts on only once its webhook call
    // returned: wait for that before the next command, or two updates share an id.
    for (let i = 0; i < 6; i++) {
      const posted = once(emulator.server, "AddedUserCommand");
      await admin.sendCommand(admin.makeCommand("/start"));
      await posted;
    }
    await waitFor(async () => (await count(admin, /operations console/)) >= 6, 15_000, "6 answers");
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await count(admin, /operations console/), 6, "each answered once");
    const taken =
      await pg.sql`select replica_id, count(*)::int as n from bot_updates group by replica_id`;
    assert.equal(taken.length, 2, "both replicas answered some");
    assert.deepEqual(
      taken.map((r) => r.n),
      [3, 3],
      "the balancer alternates",
    );
  });
});

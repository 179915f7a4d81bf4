import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, INGEST_TOKEN } from "../helpers/app.ts";
import { type BotApiRelay, startBotApiRelay } from "../helpers/bot-api-relay.ts";
import { type ReplicaDatabase, replicaDatabase } from "../helpers/replica-db.ts";
import {
  killAll,
  type ReplicaProcess,
  replicaEnv,
  roleHolder,
  startReplica,
} from "../helpers/replica-process.ts";
import { waitFor } from "../helpers/sender.ts";
import {
  BOT_TOKEN,
  type BotMessage,
  botMessages,
  startEmulator,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";

const ADMIN = 7401;
/** Three alert chats: with three replicas sending, each may hold a chat's lane. */
const CHATS = [ADMIN, -1007402, -1007403];
const ALERTS = 16;
const onPostgres = { skip: !process.env.TEST_DATABASE_URL && "TEST_DATABASE_URL unset" };

/** One Alertmanager webhook (version 4) carrying one firing alert on `load-<i>`. */
function webhook(i: number) {
  return {
    version: "4",
    receiver: "bot",
    status: "firing",
    alerts: [
      {
        status: "firing",
        labels: { alertname: "LoadSpike", instance: `load-${i}`, severity: "warning" },
        annotations: { summary: `load spike ${i}` },
        startsAt: new Date().toISOString(),
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: "",
        fingerprint: `f0a1${String(i).padStart(12, "0")}`,
      },
    ],
    groupLabels: { alertname: "LoadSpike" },
    commonLabels: { alertname: "LoadSpike" },
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    groupKey: `{}:{instance="load-${i}"}`,
  };
}

describe("failover under load", onPostgres, () => {
  let pg: ReplicaDatabase;
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  let relay: BotApiRelay;
  let admin: TelegramClient;
  const replicas: ReplicaProcess[] = [];

  before(async () => {
    pg = (await replicaDatabase("cp_fo")) as ReplicaDatabase;
    emulator = await startEmulator(undefined, { allowRateLimited: true });
    relay = await startBotApiRelay({
      emulator: emulator.server,
      emulatorRoot: emulator.apiRoot,
      token: BOT_TOKEN,
    });
    admin = emulator.server.getClient(BOT_TOKEN, {
      userId: ADMIN,
      chatId: ADMIN,
      firstName: "Ada",
      userName: "ada",
    });
  });
  after(async () => {
    await killAll(replicas);
    await relay?.close();
    await emulator?.stop();
    await pg?.drop();
  });

  it("kill -9 of the replica that polls and watches: every alert answered 2xx is delivered once, commands answered again within 15 s", async () => {
    const env = {
      ...replicaEnv(pg.url),
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_API_ROOT: relay.apiRoot,
      TELEGRAM_ADMIN_IDS: String(ADMIN),
      TELEGRAM_ALERT_CHAT_IDS: CHATS.join(","),
      OUTBOX_LEASE_S: "5",
      AGENT_CLASSES: '{"quick":{"period_s":1,"stall_s":4,"escalate_s":600,"max_rounds":1000}}',
      AGENT_WATCHDOG_INTERVAL_S: "1",
    };
    const leader = await startReplica("f1", env);
    replicas.push(leader);
    const others = await Promise.all([startReplica("f2", env), startReplica("f3", env)]);
    replicas.push(...others);
    const [f2, f3] = others as [ReplicaProcess, ReplicaProcess];
    assert.equal(await roleHolder(f2, "telegram"), leader.id, "f1 polls Telegram");
    assert.equal(await roleHolder(f2, "watchdog"), leader.id, "f1 watches heartbeats");
    // Alerts stream in; f1 is killed a third of the way in, while it holds claimed deliveries.
    const answers: number[] = [];
    let posted = 0;
    let killedAt = 0;
    let inflightAtKill = 0;
    const stream = (async () => {
      for (let i = 0; i < ALERTS; i++) {
        // Before the kill alerts come through all three (so f1 sends too), then through the
        // survivors only.
        const target =
          killedAt === 0 ? ([leader, f2, f3][i % 3] as ReplicaProcess) : i % 2 ? f3 : f2;
        const res = await call(`${target.url}/webhooks/alertmanager`, {
          token: INGEST_TOKEN,
          body: webhook(i),
        });
        answers.push(res.status);
        posted++;
        await new Promise((w) => setTimeout(w, 350));
      }
    })();
    // From a third of the way in, f1 is killed as soon as it holds claimed deliveries (they
    // must come back after the lease), or two thirds of the way in at the latest.
    await waitFor(() => posted >= ALERTS / 3, 20_000, "a third of the alerts");
    for (;;) {
      const [held] = await pg.sql`select count(*)::int as n from deliveries
        where status = 'sending' and locked_by = ${leader.id}`;
      inflightAtKill = held?.n ?? 0;
      if (inflightAtKill > 0 || posted >= (2 * ALERTS) / 3) break;
      await new Promise((w) => setTimeout(w, 5));
    }
    // An agent beats once, then goes quiet: its stall is due 4 s after the kill, so only the
    // new watchdog can raise it.
    const beat = await call(`${f2.url}/api/heartbeats/night-agent`, {
      token: INGEST_TOKEN,
      body: { class: "quick", status: "working", task: "batch" },
    });
    assert.equal(beat.status, 200);
    leader.child.kill("SIGKILL");
    killedAt = Date.now();
    await admin.sendCommand(admin.makeCommand("/status"));
    const status = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes("commandpost status"),
      "/status after the kill",
      15_000,
    );
    const commandAfterMs = Date.now() - killedAt;
    await stream;
    const newPoller = await roleHolder(f2, "telegram");
    const newWatcher = await roleHolder(f2, "watchdog");
    assert.ok(newPoller === f2.id || newPoller === f3.id, "a survivor polls");
    assert.ok(newWatcher === f2.id || newWatcher === f3.id, "a survivor watches");

    await waitFor(
      async () => {
        const [r] =
          await pg.sql`select count(*)::int as n from deliveries where status in ('pending', 'sending')`;
        return r?.n === 0;
      },
      45_000,
      "the outbox drained (f1's claims expire after the 5 s lease)",
    );
    const stalls = (await waitFor(
      async () => {
        const found = (await botMessages(admin, ADMIN)).filter((m) =>
          m.text.includes("Agent suspected stalled: night-agent"),
        );
        return found.length > 0 ? found : undefined;
      },
      15_000,
      "the stall raised by the new watchdog",
    )) as BotMessage[];

    const ok = answers.filter((s) => s >= 200 && s < 300).length;
    const [raised] = await pg.sql`select count(*)::int as n from events
      where source = 'heartbeats' and type = 'agent_stalled' and status = 'firing'`;
    const [stored] =
      await pg.sql`select count(*)::int as n from events where source = 'alertmanager'`;
    const perFingerprint: number[] = [];
    for (const chat of CHATS) {
      const texts = (await botMessages(admin, chat)).map((m) => m.text);
      for (let i = 0; i < ALERTS; i++) {
        perFingerprint.push(texts.filter((t) => new RegExp(`load-${i}\\b`).test(t)).length);
      }
    }
    const once = perFingerprint.filter((n) => n === 1).length;
    const twice = perFingerprint.filter((n) => n === 2).length;
    const lost = perFingerprint.filter((n) => n === 0).length;
    process.stdout.write(
      `# failover under load: ${ALERTS} alerts posted, ${ok} answered 2xx, ${stored?.n} stored, ` +
        `deliveries per fingerprint×chat: ${once} once, ${twice} twice, ${lost} never ` +
        `(${perFingerprint.length} expected, ${inflightAtKill} held by f1 at the kill); ` +
        `/status answered ${commandAfterMs} ms after kill -9; stall raised ${raised?.n} time(s), ${stalls.length} message(s)\n`,
    );
    assert.equal(ok, ALERTS, "every alert answered 2xx by a survivor");
    assert.equal(stored?.n, ALERTS, "every alert stored once");
    assert.equal(lost, 0, "no alert answered 2xx is lost");
    assert.ok(
      twice <= Math.min(inflightAtKill, CHATS.length),
      `a duplicate only for a send f1 had in flight (the one-statement window): ${twice}`,
    );
    assert.ok(perFingerprint.every((n) => n <= 2));
    assert.ok(commandAfterMs < 15_000, `/status answered ${commandAfterMs} ms after the kill`);
    assert.match(status.text, /Replicas \([23] live\)/);
    assert.equal(raised?.n, 1, "the stall raised once, by the new watchdog");
    assert.equal(stalls.length, 1, "and sent once");
  });
});

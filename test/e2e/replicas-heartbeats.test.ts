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
import { BOT_TOKEN, type BotMessage, botMessages, startEmulator } from "../helpers/telegram.ts";

const CHAT = 7201;
const AGENT = "twin-agent";
const onPostgres = { skip: !process.env.TEST_DATABASE_URL && "TEST_DATABASE_URL unset" };

describe("heartbeats across two replicas", onPostgres, () => {
  let pg: ReplicaDatabase;
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  let relay: BotApiRelay;
  const replicas: ReplicaProcess[] = [];

  before(async () => {
    pg = (await replicaDatabase("cp_hb")) as ReplicaDatabase;
    emulator = await startEmulator(undefined, { allowRateLimited: true });
    relay = await startBotApiRelay({
      emulator: emulator.server,
      emulatorRoot: emulator.apiRoot,
      token: BOT_TOKEN,
    });
  });
  after(async () => {
    await killAll(replicas);
    await relay?.close();
    await emulator?.stop();
    await pg?.drop();
  });

  it("counts beats sent to either replica, and raises and resolves a stall once across a watchdog failover", async () => {
    const env = {
      ...replicaEnv(pg.url),
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_API_ROOT: relay.apiRoot,
      TELEGRAM_ADMIN_IDS: String(CHAT),
      TELEGRAM_ALERT_CHAT_IDS: String(CHAT),
      // A class that stalls after 4 s of silence; the watchdog looks every 2 s.
      AGENT_CLASSES: '{"quick":{"period_s":1,"stall_s":4,"escalate_s":600,"max_rounds":1000}}',
      AGENT_WATCHDOG_INTERVAL_S: "2",
    };
    const a = await startReplica("h1", env);
    replicas.push(a);
    const b = await startReplica("h2", env);
    replicas.push(b);
    const watcher = (await roleHolder(b, "watchdog")) === a.id ? a : b;
    const other = watcher === a ? b : a;

    const beat = (r: ReplicaProcess, round: number) =>
      call(`${r.url}/api/heartbeats/${AGENT}`, {
        token: INGEST_TOKEN,
        body: { class: "quick", status: "working", task: "t1", round },
      });
    // 8 s of beats, every second, alternately to each replica: twice the stall time.
    for (let i = 0; i < 8; i++) {
      const r = i % 2 === 0 ? a : b;
      assert.equal((await beat(r, i)).status, 200);
      await new Promise((w) => setTimeout(w, 1000));
    }
    const raised = await pg.sql`select count(*)::int as n from events where source = 'heartbeats'`;
    assert.equal(raised[0]?.n, 0, "no stall while beats alternate between replicas");

    // The agent goes quiet and the watching replica dies at once.
    await beat(other, 8);
    watcher.child.kill("SIGKILL");
    const killedAt = Date.now();
    await waitFor(async () => (await roleHolder(other, "watchdog")) === other.id, 5000, "takeover");
    const takeoverMs = Date.now() - killedAt;
    assert.ok(takeoverMs <= 4000, `watchdog taken over in ${takeoverMs} ms (2 intervals: 4 s)`);
    const stalled = (await waitFor(
      async () =>
        (
          await botMessages(relayClient(), CHAT)
        ).find((m) => m.text.includes(`Agent suspected stalled: ${AGENT}`)),
      10_000,
      "the stall alert",
    )) as BotMessage;
    const raisedAfterMs = Date.now() - killedAt;
    assert.equal((await beat(other, 9)).status, 200);
    await waitFor(
      async () =>
        (await botMessages(relayClient(), CHAT)).some(
          (m) => m.messageId === stalled.messageId && m.text.includes("RESOLVED"),
        ),
      10_000,
      "the stall alert resolved",
    );
    await new Promise((w) => setTimeout(w, 2500)); // more watchdog ticks: nothing more
    const events = await pg.sql`select type, status, count(*)::int as n from events
      where source = 'heartbeats' group by type, status order by type, status`;
    assert.deepEqual(
      events.map((e) => `${e.type}:${e.status}:${e.n}`),
      ["agent_stalled:firing:1", "agent_stalled:resolved:1"],
      "raised once and resolved once",
    );
    const messages = (await botMessages(relayClient(), CHAT)).filter((m) => m.text.includes(AGENT));
    assert.equal(messages.length, 1, "one message for the stall");
    process.stdout.write(
      `# watchdog failover: role taken ${takeoverMs} ms after kill -9, stall raised ${raisedAfterMs} ms after it (stall_s 4, interval 2 s)\n`,
    );
  });

  function relayClient() {
    return emulator.server.getClient(BOT_TOKEN, { userId: CHAT, chatId: CHAT });
  }
});

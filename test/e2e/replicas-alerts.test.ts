import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, INGEST_TOKEN } from "../helpers/app.ts";
import { type BotApiRelay, startBotApiRelay } from "../helpers/bot-api-relay.ts";
import { type ReplicaDatabase, replicaDatabase } from "../helpers/replica-db.ts";
import {
  killAll,
  type ReplicaProcess,
  replicaEnv,
  startReplica,
} from "../helpers/replica-process.ts";
import { waitFor } from "../helpers/sender.ts";
import {
  BOT_TOKEN,
  botMessages,
  pressButton,
  startEmulator,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";

const ADMIN = 7301;
/** Alert chats: the admin's and two groups, so three lanes can run at once. */
const CHATS = [ADMIN, -1007302, -1007303];
const onPostgres = { skip: !process.env.TEST_DATABASE_URL && "TEST_DATABASE_URL unset" };

const event = (r: ReplicaProcess, body: Record<string, unknown>) =>
  call(`${r.url}/api/events`, {
    token: INGEST_TOKEN,
    body: { source: "svc", severity: "warning", summary: "s", ...body },
  });

describe("alerts across three replicas", onPostgres, () => {
  let pg: ReplicaDatabase;
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  let relay: BotApiRelay;
  let admin: TelegramClient;
  const replicas: ReplicaProcess[] = [];

  before(async () => {
    pg = (await replicaDatabase("cp_al")) as ReplicaDatabase;
    emulator = await startEmulator(undefined, { allowRateLimited: true });
    relay = await startBotApiRelay({
      emulator: emulator.server,
      emulatorRoot: emulator.apiRoot,
      token: BOT_TOKEN,
    });
    const env = {
      ...replicaEnv(pg.url),
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_API_ROOT: relay.apiRoot,
      TELEGRAM_ADMIN_IDS: String(ADMIN),
      TELEGRAM_ALERT_CHAT_IDS: CHATS.join(","),
      DEDUP_WINDOW_S: "1",
    };
    replicas.push(...(await Promise.all(["x1", "x2", "x3"].map((n) => startReplica(n, env)))));
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

  it("applies a mute and an acknowledgement decided on one replica on every replica at once", async () => {
    const [x1, x2, x3] = replicas as [ReplicaProcess, ReplicaProcess, ReplicaProcess];
    await admin.sendCommand(admin.makeCommand("/mute alertname=DiskFull 1h maintenance"));
    // The reply to /mute: "🔕 Muted alertname=DiskFull", then how long and until when.
    await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.startsWith("🔕 Muted alertname=DiskFull"),
      "mute",
      15_000,
    );
    // Straight after the bot's answer, on every replica: muted.
    const outcomes = await Promise.all(
      [x1, x2, x3].map(async (r) => (await event(r, { type: "DiskFull", title: "disk" })).body),
    );
    assert.deepEqual(
      outcomes.map((o) => o.outcome),
      ["muted", "muted", "muted"],
    );

    // A critical alert through x1; acknowledged in the chat (the polling replica).
    const fire = {
      type: "DbDown",
      severity: "critical",
      title: "db down",
      labels: { instance: "db-1" },
    };
    assert.equal((await event(x1, fire)).body.outcome, "notified");
    const alert = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes("db down") && m.buttons.length > 0,
      "the alert",
      15_000,
    );
    await pressButton(admin, alert, "Acknowledge");
    await waitForBotMessage(admin, ADMIN, (m) => m.text.includes("Acknowledged by"), "ack", 15_000);
    // Past the 1 s dedup window a repeat would be announced again, unless acknowledged.
    await new Promise((w) => setTimeout(w, 1200));
    const control = { type: "CpuHigh", title: "cpu", labels: { instance: "c-1" } };
    assert.equal((await event(x3, control)).body.outcome, "notified");
    await new Promise((w) => setTimeout(w, 1200));
    assert.equal((await event(x2, fire)).body.outcome, "deduplicated", "acknowledged: not again");
    assert.equal((await event(x3, control)).body.outcome, "notified", "unacknowledged: again");
  });

  it("sends each delivery once while three replicas send", async () => {
    const N = 12;
    const posted = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        event(replicas[i % 3] as ReplicaProcess, {
          type: "Burst",
          title: `burst ${i}`,
          labels: { instance: `node-${i}` },
        }),
      ),
    );
    assert.ok(posted.every((p) => p.status === 202 && p.body.outcome === "notified"));
    await waitFor(
      async () => {
        const [r] =
          await pg.sql`select count(*)::int as n from deliveries where status in ('pending', 'sending')`;
        return r?.n === 0;
      },
      40_000,
      "the outbox drained",
    );
    for (const chat of CHATS) {
      const texts = (await botMessages(admin, chat)).map((m) => m.text);
      for (let i = 0; i < N; i++) {
        const copies = texts.filter((t) => new RegExp(`burst ${i}\\b`).test(t)).length;
        assert.equal(copies, 1, `burst ${i} in chat ${chat}: ${copies} messages`);
      }
    }
    const sentBy = await Promise.all(
      replicas.map(async (r) => {
        const m = await (await fetch(`${r.url}/metrics`)).text();
        return Number(/commandpost_deliveries_total\{result="sent"\} (\d+)/.exec(m)?.[1] ?? 0);
      }),
    );
    process.stdout.write(`# deliveries sent per replica: ${sentBy.join(", ")}\n`);
    assert.ok(sentBy.filter((n) => n > 0).length >= 2, `several replicas sent: ${sentBy}`);
  });
});

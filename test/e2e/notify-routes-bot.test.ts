import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ISSUE_ROUTES } from "../fixtures/notify-routes.ts";
import { call, INGEST_TOKEN, type TestApp } from "../helpers/app.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import { fakeClock } from "../helpers/clock.ts";
import {
  type BotMessage,
  botMessages,
  pressButton,
  type TelegramClient,
  waitForBotMessage,
} from "../helpers/telegram.ts";

const ONCALL = 424242;
const LEADS = 515151;
const FORUM = -1001234567890;
const TOPIC = 42;
const MIN = 60_000;

/** An Alertmanager webhook (version 4) with one firing alert of `severity`. */
function webhook(alertname: string, severity: string, extra: Record<string, unknown> = {}) {
  return {
    version: "4",
    status: "firing",
    receiver: "commandpost",
    externalURL: "http://alertmanager.example:9093",
    truncatedAlerts: 0,
    alerts: [
      {
        status: "firing",
        labels: { alertname, severity, instance: "db-1:9100", env: "prod" },
        annotations: {
          summary: `${alertname} summary`,
          description: `${alertname} description`,
          runbook_url: "https://runbooks.example/db",
          dashboard_url: "https://grafana.example/d/db",
        },
        startsAt: "2026-11-23T00:55:00Z",
        generatorURL: "http://prometheus.example/graph?g0.expr=up",
      },
    ],
    ...extra,
  };
}

/** The message_thread_id a bot message was sent with, as the emulator stored the call. */
function threadOf(bot: BotTestApp, m: BotMessage): number | undefined {
  const stored = (
    bot.emulator.server as unknown as {
      storage: {
        botMessages: {
          messageId: number;
          message: { chat_id: unknown; message_thread_id?: unknown };
        }[];
      };
    }
  ).storage.botMessages.find(
    (u) => u.messageId === m.messageId && Number(u.message.chat_id) === m.chatId,
  );
  const t = stored?.message.message_thread_id;
  return t === undefined ? undefined : Number(t);
}

/** The chat as the emulator recorded it: one line per bot message, buttons in brackets. */
async function transcript(client: TelegramClient, chatId: number): Promise<string> {
  const msgs = await botMessages(client, chatId);
  return msgs
    .map(
      (m) =>
        `#${m.messageId} ${m.text}${m.buttons.length ? `\n  [${m.buttons.map((b) => b.text).join("] [")}]` : ""}`,
    )
    .join("\n");
}

describe("notification routes, escalation and forum topics (emulator)", () => {
  let bot: BotTestApp;
  let t: TestApp;
  let oncall: TelegramClient;
  let leads: TelegramClient;
  let forum: TelegramClient;
  const clock = fakeClock("2026-11-23T01:00:00Z");

  before(async () => {
    bot = await startBotTestApp({
      adminIds: [ONCALL, LEADS],
      // The tick is driven by the test (the periodic one is set far apart).
      env: { NOTIFY_ROUTES: JSON.stringify(ISSUE_ROUTES), NOTIFY_TICK_S: "3600" },
      options: { clock, outboxPacing: { perChatMs: 50 } },
    });
    t = bot.t;
    oncall = bot.user(ONCALL, "Olga", "olga");
    leads = bot.user(LEADS, "Lee", "lee");
    forum = bot.emulator.server.getClient("123456:TEST-token_abc", {
      userId: ONCALL,
      chatId: FORUM,
      firstName: "Olga",
      userName: "olga",
      type: "supergroup",
    });
  });
  after(async () => {
    if (process.env.TRANSCRIPTS) {
      for (const [name, c, id] of [
        ["oncall 424242", oncall, ONCALL],
        ["oncall forum -1001234567890 topic 42", forum, FORUM],
        ["leads 515151", leads, LEADS],
      ] as const) {
        console.log(`--- ${name}\n${await transcript(c, id)}`);
      }
    }
    await bot?.stop();
  });

  it("a critical reaches only oncall (its chat and the forum topic), a warning only leads", async () => {
    const crit = await call(`${t.url}/webhooks/alertmanager`, {
      token: INGEST_TOKEN,
      body: webhook("DiskFull", "critical", { truncatedAlerts: 3 }),
    });
    assert.equal(crit.status, 200);
    const warn = await call(`${t.url}/webhooks/alertmanager`, {
      token: INGEST_TOKEN,
      body: webhook("SlowQueries", "warning"),
    });
    assert.equal(warn.status, 200);

    const inOncall = await waitForBotMessage(
      oncall,
      ONCALL,
      (m) => m.text.includes("DiskFull"),
      "critical in oncall",
    );
    const inTopic = await waitForBotMessage(
      forum,
      FORUM,
      (m) => m.text.includes("DiskFull"),
      "critical in the topic",
    );
    assert.equal(threadOf(bot, inTopic), TOPIC, "sent with message_thread_id");
    assert.equal(threadOf(bot, inOncall), undefined);
    const warnInLeads = await waitForBotMessage(
      leads,
      LEADS,
      (m) => m.text.includes("SlowQueries"),
      "warning in leads",
    );
    assert.match(warnInLeads.text, /WARNING · SlowQueries/);

    // Point 3: the alert view.
    assert.match(inOncall.text, /DiskFull summary\nDiskFull description/);
    assert.match(inOncall.text, /Labels: env=prod/);
    assert.match(inOncall.text, /Source · Runbook · Dashboard · Silence/);
    assert.match(inOncall.text, /\+3 more in Alertmanager/);
    assert.match(
      inOncall.html,
      /<a href="http:\/\/alertmanager\.example:9093\/#\/silences\/new\?filter=%7Balertname%3D%22DiskFull%22%2C/,
    );

    // Nothing crossed over: the critical is not in leads, the warning is in neither oncall chat.
    await t.app.outbox.stats(clock.now()); // (the queue is settled once both sends were seen)
    assert.ok(!(await botMessages(leads, LEADS)).some((m) => m.text.includes("DiskFull")));
    assert.ok(!(await botMessages(oncall, ONCALL)).some((m) => m.text.includes("SlowQueries")));
    assert.ok(!(await botMessages(forum, FORUM)).some((m) => m.text.includes("SlowQueries")));
  });

  it("an unacknowledged critical escalates to leads after after_s; an ack there edits every copy", async () => {
    clock.advance(14 * MIN);
    assert.deepEqual(await t.app.escalations.tick(), { escalated: 0, repeated: 0, stopped: 0 });
    clock.advance(1 * MIN);
    assert.deepEqual(await t.app.escalations.tick(), { escalated: 1, repeated: 0, stopped: 0 });

    const copy = await waitForBotMessage(
      leads,
      LEADS,
      (m) => m.text.includes("DiskFull"),
      "escalated copy",
    );
    assert.ok(
      copy.buttons.some((b) => b.text.includes("Acknowledge")),
      "same buttons",
    );
    const first = await waitForBotMessage(
      oncall,
      ONCALL,
      (m) => m.text.includes("DiskFull") && m.text.includes("Escalated to leads at 09:15"),
      "the first message notes the escalation",
    );
    await waitForBotMessage(
      forum,
      FORUM,
      (m) => m.text.includes("Escalated to leads at 09:15"),
      "topic copy notes it",
    );

    await pressButton(leads, copy, "Acknowledge");
    for (const [c, id] of [
      [oncall, ONCALL],
      [leads, LEADS],
      [forum, FORUM],
    ] as const) {
      const edited = await waitForBotMessage(
        c,
        id,
        (m) => m.text.includes("DiskFull") && m.text.includes("Acknowledged by Lee"),
        `acknowledged edit in ${id}`,
      );
      assert.ok(!edited.buttons.some((b) => b.text.includes("Acknowledge")));
    }
    assert.equal(
      first.messageId,
      (await botMessages(oncall, ONCALL)).find((m) => m.text.includes("DiskFull"))?.messageId,
    );

    // Acknowledged: the timers stop, nothing more is sent.
    clock.advance(3 * 60 * MIN);
    assert.deepEqual(await t.app.escalations.tick(), { escalated: 0, repeated: 0, stopped: 1 });
    const copies = (await botMessages(leads, LEADS)).filter((m) => m.text.includes("DiskFull"));
    assert.equal(copies.length, 1);
  });

  it("repeat_interval_s re-announces a still-firing unacknowledged critical", async () => {
    const res = await call(`${t.url}/webhooks/alertmanager`, {
      token: INGEST_TOKEN,
      body: webhook("ReplicaLag", "critical"),
    });
    assert.equal(res.status, 200);
    const firstMsg = await waitForBotMessage(
      oncall,
      ONCALL,
      (m) => m.text.includes("ReplicaLag"),
      "first announcement",
    );
    clock.advance(120 * MIN);
    // Both timers are due: the 15 min escalation and the 2 h repeat.
    assert.deepEqual(await t.app.escalations.tick(), { escalated: 1, repeated: 1, stopped: 0 });
    await waitForBotMessage(
      oncall,
      ONCALL,
      (m) =>
        m.messageId === firstMsg.messageId &&
        m.text.includes("newer message") &&
        m.buttons.length === 0,
      "the first message retired",
    );
    const again = await waitForBotMessage(
      oncall,
      ONCALL,
      (m) => m.messageId !== firstMsg.messageId && m.text.includes("ReplicaLag"),
      "the re-announcement",
    );
    assert.ok(again.buttons.some((b) => b.text.includes("Acknowledge")));
    // The receiver it escalated to gets the re-announcement too.
    await waitForBotMessage(
      leads,
      LEADS,
      (m) =>
        m.text.includes("ReplicaLag") &&
        m.buttons.length > 0 &&
        m.text.includes("Escalated to leads"),
      "re-announcement in leads",
    );
  });

  it("/routes shows the tree and where a pasted label set goes", async () => {
    await oncall.sendCommand(oncall.makeCommand("/routes"));
    const tree = await waitForBotMessage(
      oncall,
      ONCALL,
      (m) => m.text.startsWith("Notification routes"),
      "/routes",
    );
    assert.match(
      tree.text,
      /1\. kind=alert severity=critical → oncall · repeat every 2h 0m · after 15m → leads/,
    );
    await oncall.sendCommand(oncall.makeCommand("/routes severity=warning alertname=X"));
    const where = await waitForBotMessage(
      oncall,
      ONCALL,
      (m) => m.text.startsWith("Where"),
      "/routes labels",
    );
    assert.match(where.text, /route 2 → leads: 515151/);
  });
});

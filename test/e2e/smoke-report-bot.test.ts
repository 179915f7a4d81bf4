import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, INGEST_TOKEN, type TestApp } from "../helpers/app.ts";
import { type BotTestApp, startBotTestApp } from "../helpers/bot-app.ts";
import { fakeClock } from "../helpers/clock.ts";
import { type TelegramClient, waitForBotMessage } from "../helpers/telegram.ts";

const ADMIN = 2002;

describe("/smoke, /report and scheduled digests end to end (telegram-test-api emulator)", () => {
  let bot: BotTestApp;
  let t: TestApp;
  let admin: TelegramClient;
  // 09:00 in Asia/Taipei, ten minutes before the smoke summary's slot.
  const clock = fakeClock("2026-11-23T01:00:00Z");

  before(async () => {
    bot = await startBotTestApp({ adminIds: [ADMIN], options: { clock } });
    t = bot.t;
    admin = bot.user(ADMIN, "Ada", "ada");
  });
  after(async () => {
    await bot.stop();
  });

  /** A critical alert acknowledged after 3 min, a warning repeated once, proxy usage, a cooldown. */
  async function dayOfWork(): Promise<void> {
    clock.set("2026-11-23T01:01:00Z");
    const post = (body: Record<string, unknown>) =>
      call(`${t.url}/api/events`, { token: INGEST_TOKEN, body: { source: "momo-app", ...body } });
    await post({ type: "HighErrorRate", severity: "critical", title: "5xx above 5%" });
    const alert = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes("5xx above 5%"),
      "alert",
    );
    const ack = alert.buttons.find((b) => b.text.includes("Acknowledge"));
    assert.ok(ack);
    clock.set("2026-11-23T01:04:00Z");
    await admin.sendCallback(
      admin.makeCallbackQuery(ack.callback_data, {
        message: { message_id: alert.messageId, chat: { id: ADMIN } },
      }),
    );
    await waitForBotMessage(admin, ADMIN, (m) => m.text.includes("Acknowledged by"), "the ack");
    await post({ type: "DiskFull", severity: "warning", title: "Disk 91%" });
    await post({ type: "DiskFull", severity: "warning", title: "Disk 91%" });
    const hour = new Date("2026-11-23T01:00:00Z");
    const row = { model: "llama-3.3-70b", hour, latencyMsSum: 0, latencyBuckets: [] };
    await t.app.proxyModule.usageStore.add([
      {
        ...row,
        backendId: "b1",
        backendName: "nv-primary-1",
        agent: "architect",
        requests: 120,
        errors: 2,
        promptTokens: 40_000,
        completionTokens: 8_000,
        costUsd: 0.036,
      },
      {
        ...row,
        backendId: "b2",
        backendName: "groq-fallback",
        agent: "reviewer",
        requests: 30,
        errors: 0,
        promptTokens: 10_000,
        completionTokens: 2_000,
        costUsd: 0.009,
      },
    ]);
    const started = new Date("2026-11-23T01:05:00Z");
    await t.app.proxyModule.cooldowns.record(
      {
        backendId: "b2",
        startedAt: started,
        endsAt: new Date(started.getTime() + 30_000),
        strike: 1,
        retryAfterS: 30,
      },
      "groq-fallback",
      "429 from upstream",
    );
  }

  it("answers /smoke with every check and the last 24 h distribution", async (ctx) => {
    await admin.sendCommand(admin.makeCommand("/smoke"));
    const reply = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes("Smoke check"),
      "/smoke",
    );
    ctx.diagnostic(`/smoke reply:\n${reply.text}`);
    assert.match(reply.text, /^🟢 Smoke check: ok · 09:00 \(\d+ ms\)\n/);
    assert.match(reply.text, /🟢 database — round trip \d+ ms/);
    assert.match(reply.text, /🟢 outbox backlog — nothing queued/);
    assert.match(reply.text, /\nTimes in Asia\/Taipei\n\nLast 24 h/);
    assert.match(reply.text, /⚪ backends — not configured \(no enabled backends\)/);
    assert.match(reply.text, /🟢 heal plans — 0 pending, 0 running · 24 h: 0 failed, 0 reverted/);
    assert.match(reply.text, /⚪ heartbeats — no agents reporting yet/);
    assert.match(reply.text, /Last 24 h: 1 run\ncheck +ok +warn +crit\ndatabase +1 +0 +0/);
  });

  it("sends /report daily through the outbox to the chat that asked", async (ctx) => {
    await dayOfWork();
    clock.set("2026-11-23T01:09:00Z");
    await admin.sendCommand(admin.makeCommand("/report daily"));
    const report = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes("Daily report"),
      "the report",
    );
    ctx.diagnostic(`/report daily:\n${report.text}`);
    assert.match(
      report.text,
      /^📊 Daily report · 2026-11-23\n24 h to 09:09\nTimes in Asia\/Taipei\n/,
    );
    assert.match(
      report.text,
      /opened 1 · acknowledged 1 · resolved 0 \(0 by hand\)\nMTTA 3m · MTTR —/,
    );
    assert.match(
      report.text,
      /received 3: notified 2, deduplicated 1, inhibited 0, muted 0, recorded 0/,
    );
    assert.match(report.text, /Autonomy 50%: 1 of 2 notified events needed no human decision/);
    assert.match(report.text, /150 requests \(2 errors\) · 60,000 tokens · \$0\.0450/);
    assert.match(
      report.text,
      /by backend\n• nv-primary-1: 120 req · 48,000 tok · \$0\.0360\n• groq-fallback: 30 req/,
    );
    assert.match(report.text, /by agent\n• architect: 120 req/);
    assert.match(report.text, /Cooldowns: 1 \(groq-fallback ×1\)/);
    assert.match(report.text, /Smoke: 1 run, 100% ok/);
    assert.match(report.text, /Heal plans: proposed 0 · approved 0 · rejected 0 · succeeded 0/);
    await admin.sendCommand(admin.makeCommand("/report monthly"));
    await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.startsWith("Usage: /report daily"),
      "usage",
    );
  });

  it("delivers the scheduled smoke summary to the alert chat and shows the run in /status", async (ctx) => {
    const { scheduler } = t.app.schedules;
    assert.equal((await scheduler.runJob("smoke", clock.now())).status, "ran"); // 09:09
    clock.set("2026-11-23T01:10:02Z"); // node-cron fired at 09:10; the run starts a moment later
    const summary = await scheduler.runJob("smoke_summary", new Date("2026-11-23T01:10:00Z"));
    assert.equal(summary.status === "ran" && summary.periodKey, "smoke-summary:2026-11-23");
    const msg = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes("Smoke summary"),
      "summary",
    );
    ctx.diagnostic(`scheduled smoke summary:\n${msg.text}`);
    assert.match(
      msg.text,
      /^🩺 Smoke summary · 24 h to 09:10\nTimes in Asia\/Taipei\n2 runs: 50% ok · 1 warning · 0 critical/,
    );
    assert.match(msg.text, /Latest run 09:09 \(1m ago\): 🟡 warning$/);

    await admin.sendCommand(admin.makeCommand("/status"));
    const status = await waitForBotMessage(
      admin,
      ADMIN,
      (m) => m.text.includes("Schedules"),
      "/status",
    );
    assert.match(status.text, /smoke summary \(daily 09:10\): ✅ 09:10 \(just now\) ok/);
    assert.match(status.text, /smoke checks \(every 5 min\): 🟡 09:09 \(1m ago\) warning/);
    assert.match(status.text, /🟡 Last smoke run warning: [^\n]+ · 09:09 \(1m ago\)/);
    assert.match(status.text, /daily report \(daily 23:50\): never run/);
  });
});
